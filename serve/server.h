// The HTTP server (serving.md): routes, authentication, CORS and limits on
// cpp-httplib, the model loaded in the background, and the request handlers
// that turn JSON into scheduler jobs and jobs back into JSON or SSE.
//
//   Server server(options);
//   int port = server.Start();  // bound; the model loads meanwhile
//   server.Run();               // until Stop()
#ifndef BITBRAIN_SERVE_SERVER_H_
#define BITBRAIN_SERVE_SERVER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <httplib.h>

#include "engine/runtime/engine.h"
#include "serve/api_error.h"
#include "serve/scheduler.h"
#include "serve/served_model.h"
#include "serve/status.h"

namespace bitbrain::serve {

struct ServerOptions {
  std::string model;  // empty: the built-in default model
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  runtime::EngineOptions engine;
  SchedulerOptions scheduler;
  std::string api_key;      // empty: no authentication
  std::string public_url;   // empty: from the request's headers
  std::string cors_origin;  // empty: same origin only; "*": any
  size_t max_body_bytes = 8 << 20;
  int timeout_seconds = 60;  // read and write
  // Runs on the loading thread before the model loads (tests hold loading
  // with it, to see the server while it loads).
  std::function<void()> before_load;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the port and starts loading the model. Returns the port. Throws
  // std::runtime_error if the address cannot be bound.
  int Start();
  // Serves until Stop().
  void Run();
  void Stop();

  // Blocks until the model has loaded (true) or failed to (false).
  bool WaitUntilLoaded();
  // The failure, if loading failed.
  std::string load_error() const;

 private:
  using Handler = void (Server::*)(const httplib::Request&, httplib::Response&);

  void Load();
  void AddRoutes();
  // Wraps a handler: an ApiError (or any exception) becomes an error response.
  httplib::Server::Handler Guarded(Handler handler);
  httplib::Server::HandlerResponse BeforeRouting(const httplib::Request& request,
                                                 httplib::Response& response);
  void OnError(const httplib::Request& request, httplib::Response& response);

  // The loaded model; throws 503 while it loads, 500 if it failed.
  ServedModel& RequireModel();
  std::string PublicUrl(const httplib::Request& request) const;
  StatusFigures Figures(const httplib::Request& request);

  void Health(const httplib::Request& request, httplib::Response& response);
  void Models(const httplib::Request& request, httplib::Response& response);
  void Model(const httplib::Request& request, httplib::Response& response);
  void Metrics(const httplib::Request& request, httplib::Response& response);
  void StatusPage(const httplib::Request& request, httplib::Response& response);
  void ChatPage(const httplib::Request& request, httplib::Response& response);
  void ClientPy(const httplib::Request& request, httplib::Response& response);
  void ChatCompletions(const httplib::Request& request, httplib::Response& response);
  void Classify(const httplib::Request& request, httplib::Response& response);
  void Tokenize(const httplib::Request& request, httplib::Response& response);
  void Detokenize(const httplib::Request& request, httplib::Response& response);

  const ServerOptions options_;
  const std::string model_id_;  // the file name
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  httplib::Server http_;
  int port_ = 0;
  std::atomic<bool> stop_requested_ = false;
  std::atomic<bool> in_run_ = false;  // Run() is (about to be) listening

  std::atomic<ServedModel*> model_ = nullptr;  // set once loaded
  std::unique_ptr<ServedModel> model_owner_;
  mutable std::mutex mutex_;
  std::condition_variable loaded_;
  bool load_done_ = false;  // guarded by mutex_
  std::string load_error_;  // guarded by mutex_
  double load_seconds_ = 0;  // written before model_ is set
  std::map<int, int64_t> responses_by_status_;  // guarded by mutex_
  std::thread loader_;
};

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_SERVER_H_
