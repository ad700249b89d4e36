#include "serve/server.h"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <regex>
#include <utility>

#include "engine/chat/chat_format.h"
#include "engine/synthetic/default_model.h"
#include "serve/chat_request.h"
#include "serve/classify.h"
#include "serve/json_fields.h"
#include "serve/responses.h"
#include "serve/web/web_assets.h"

namespace bitbrain::serve {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// The routes and their methods, also to tell 405 from 404.
struct RouteMethods {
  const char* pattern;
  const char* methods;
};
constexpr RouteMethods kRoutes[] = {
    {"/", "GET"},
    {"/chat", "GET"},
    {"/client.py", "GET"},
    {"/health", "GET"},
    {"/metrics", "GET"},
    {"/v1/models", "GET"},
    {"/v1/models/([^/]+)", "GET"},
    {"/v1/chat/completions", "POST"},
    {"/v1/classify", "POST"},
    {"/tokenize", "POST"},
    {"/detokenize", "POST"},
};

// Open to anyone even with an API key: health checks, discovery, the pages.
bool IsPublic(const std::string& path) {
  return path == "/" || path == "/health" || path == "/chat" || path == "/client.py" ||
         path == "/v1/models" || path.starts_with("/v1/models/");
}

// Compares without an early exit, so timing does not reveal the key.
bool SameKey(std::string_view given, std::string_view key) {
  unsigned char difference = given.size() == key.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) {
    difference |= static_cast<unsigned char>(given[i] ^ key[i % key.size()]);
  }
  return difference == 0;
}

// A Host header fit to be written into client.py: host name or [v6], port.
bool IsPlainHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (const char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']') {
      return false;
    }
  }
  return true;
}

void SendJson(httplib::Response& response, const json& body, int status = 200) {
  response.status = status;
  response.set_content(Dump(body), "application/json");
}

void SendError(httplib::Response& response, const ApiError& error) {
  SendJson(response, error.ToJson(), error.status());
  if (!error.retryable()) response.set_header("x-should-retry", "false");
  if (error.status() == 429) response.set_header("Retry-After", "1");
  if (error.status() == 503) response.set_header("Retry-After", "2");
}

// A prompt (and the tokens to generate) must fit in one slot's context.
void CheckContext(size_t prompt_tokens, int max_tokens, int context_length) {
  const size_t needed = prompt_tokens + std::max(max_tokens, 1);
  if (needed > static_cast<size_t>(context_length)) {
    throw ApiError(400, "invalid_request_error",
                   "this model's context holds " + std::to_string(context_length) +
                       " tokens; the prompt has " + std::to_string(prompt_tokens) +
                       (max_tokens > 0 ? " and " + std::to_string(max_tokens) + " more were asked for"
                                       : " and leaves no room for a reply"),
                   "messages", "context_length_exceeded");
  }
}

ApiError QueueFull() {
  return ApiError(429, "rate_limit_error",
                  "the server is busy: every slot is taken and the queue is full; retry shortly",
                  std::nullopt, "queue_full");
}

// The SSE event for a JSON payload.
std::string Event(const json& data) { return "data: " + Dump(data) + "\n\n"; }

}  // namespace

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      model_id_(std::filesystem::path(options_.model.empty() ? synthetic::DefaultModelPath()
                                                             : options_.model)
                    .filename()
                    .string()) {
  const int workers = options_.scheduler.parallel + options_.scheduler.queue_limit + 8;
  // Each stream holds a worker for its whole life; the scheduler's queue
  // limit keeps their number bounded.
  http_.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  http_.set_payload_max_length(options_.max_body_bytes);
  http_.set_read_timeout(options_.timeout_seconds);
  http_.set_write_timeout(options_.timeout_seconds);
  http_.set_keep_alive_max_count(1000);
  http_.set_keep_alive_timeout(10);
  http_.set_tcp_nodelay(true);
  http_.set_pre_routing_handler(
      [this](const httplib::Request& request, httplib::Response& response) {
        return BeforeRouting(request, response);
      });
  http_.set_error_handler([this](const httplib::Request& request, httplib::Response& response) {
    OnError(request, response);
  });
  http_.set_logger([this](const httplib::Request&, const httplib::Response& response) {
    std::lock_guard lock(mutex_);
    ++responses_by_status_[response.status];
  });
  AddRoutes();
}

Server::~Server() {
  Stop();
  if (loader_.joinable()) loader_.join();
}

int Server::Start() {
  port_ = options_.port == 0 ? http_.bind_to_any_port(options_.host)
                             : (http_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
  if (port_ < 0) {
    throw std::runtime_error("cannot listen on " + options_.host + ":" +
                             std::to_string(options_.port) + " (in use, or not an address here)");
  }
  loader_ = std::thread([this] { Load(); });
  return port_;
}

void Server::Run() {
  in_run_ = true;
  if (!stop_requested_) http_.listen_after_bind();
  in_run_ = false;
}

void Server::Stop() {
  stop_requested_ = true;
  // httplib's stop() does nothing before listening has begun: wait for it.
  while (in_run_ && !http_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  http_.stop();
}

void Server::Load() {
  std::string error;
  try {
    if (options_.before_load) options_.before_load();
    std::string path = options_.model;
    if (path.empty()) path = synthetic::EnsureDefaultModel();
    model_owner_ = std::make_unique<ServedModel>(path, options_.model.empty(), options_.engine,
                                                 options_.scheduler);
    load_seconds_ = std::chrono::duration<double>(Clock::now() - start_).count();
    model_ = model_owner_.get();
  } catch (const std::exception& failure) {
    error = failure.what();
    std::fprintf(stderr, "bitbrain serve: cannot load the model: %s\n", error.c_str());
  }
  {
    std::lock_guard lock(mutex_);
    load_done_ = true;
    load_error_ = error;
  }
  loaded_.notify_all();
}

bool Server::WaitUntilLoaded() {
  std::unique_lock lock(mutex_);
  loaded_.wait(lock, [&] { return load_done_; });
  return load_error_.empty();
}

std::string Server::load_error() const {
  std::lock_guard lock(mutex_);
  return load_error_;
}

void Server::AddRoutes() {
  const std::pair<const char*, Handler> get_routes[] = {
      {"/", &Server::StatusPage},
      {"/chat", &Server::ChatPage},
      {"/client.py", &Server::ClientPy},
      {"/health", &Server::Health},
      {"/metrics", &Server::Metrics},
      {"/v1/models", &Server::Models},
      {"/v1/models/([^/]+)", &Server::Model},
  };
  for (const auto& [pattern, handler] : get_routes) http_.Get(pattern, Guarded(handler));
  const std::pair<const char*, Handler> post_routes[] = {
      {"/v1/chat/completions", &Server::ChatCompletions},
      {"/v1/classify", &Server::Classify},
      {"/tokenize", &Server::Tokenize},
      {"/detokenize", &Server::Detokenize},
  };
  for (const auto& [pattern, handler] : post_routes) http_.Post(pattern, Guarded(handler));
}

httplib::Server::Handler Server::Guarded(Handler handler) {
  return [this, handler](const httplib::Request& request, httplib::Response& response) {
    try {
      (this->*handler)(request, response);
    } catch (const ApiError& error) {
      SendError(response, error);
    } catch (const std::exception& error) {
      SendError(response, ApiError(500, "server_error", error.what()));
    }
  };
}

httplib::Server::HandlerResponse Server::BeforeRouting(const httplib::Request& request,
                                                       httplib::Response& response) {
  const std::string origin = request.get_header_value("Origin");
  const bool cors = !options_.cors_origin.empty() && !origin.empty() &&
                    (options_.cors_origin == "*" || options_.cors_origin == origin);
  if (cors) {
    response.set_header("Access-Control-Allow-Origin", options_.cors_origin == "*" ? "*" : origin);
    response.set_header("Vary", "Origin");
  }
  if (request.method == "OPTIONS") {  // a CORS preflight
    if (cors) {
      response.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      response.set_header("Access-Control-Allow-Headers",
                          "Authorization, Content-Type, X-Api-Key");
      response.set_header("Access-Control-Max-Age", "600");
    }
    response.status = 204;
    return httplib::Server::HandlerResponse::Handled;
  }
  if (!options_.api_key.empty() && !IsPublic(request.path)) {
    const std::string authorization = request.get_header_value("Authorization");
    const std::string key = authorization.starts_with("Bearer ")
                                ? authorization.substr(7)
                                : request.get_header_value("X-Api-Key");
    if (!SameKey(key, options_.api_key)) {
      SendError(response, ApiError(401, "authentication_error",
                                   key.empty() ? "an API key is required (Authorization: Bearer "
                                                 "KEY, or X-Api-Key: KEY)"
                                               : "the API key is not valid",
                                   std::nullopt, "invalid_api_key"));
      return httplib::Server::HandlerResponse::Handled;
    }
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

void Server::OnError(const httplib::Request& request, httplib::Response& response) {
  if (!response.body.empty()) return;  // a handler's own error
  // httplib answers 404 for an unknown path, and 400 for a method it has no
  // handlers for at all (PUT, PATCH).
  const bool unrouted = response.status == 404 ||
                        (response.status == 400 &&
                         (request.method == "PUT" || request.method == "PATCH"));
  if (unrouted) {
    for (const RouteMethods& route : kRoutes) {
      if (std::regex_match(request.path, std::regex(route.pattern))) {
        response.set_header("Allow", route.methods);
        return SendError(response, ApiError(405, "invalid_request_error",
                                            request.method + " is not allowed on " +
                                                request.path + " (allowed: " + route.methods + ")"));
      }
    }
    return SendError(response, ApiError(404, "invalid_request_error",
                                        "no such endpoint: " + request.path, std::nullopt,
                                        "not_found"));
  }
  if (response.status == 413) {
    return SendError(response, ApiError(413, "invalid_request_error",
                                        "the request body is larger than " +
                                            std::to_string(options_.max_body_bytes) + " bytes"));
  }
  SendError(response, ApiError(response.status,
                               response.status >= 500 ? "server_error" : "invalid_request_error",
                               "the request could not be handled (HTTP " +
                                   std::to_string(response.status) + ")"));
}

ServedModel& Server::RequireModel() {
  if (ServedModel* model = model_.load()) return *model;
  const std::string error = load_error();
  if (!error.empty()) throw ApiError(500, "server_error", "the model failed to load: " + error);
  throw ApiError(503, "unavailable_error", "the model is loading; retry in a few seconds");
}

std::string Server::PublicUrl(const httplib::Request& request) const {
  if (!options_.public_url.empty()) return options_.public_url;
  std::string host = request.get_header_value("X-Forwarded-Host");
  host = host.substr(0, host.find(','));
  if (host.empty()) host = request.get_header_value("Host");
  if (!IsPlainHost(host)) host = options_.host + ":" + std::to_string(port_);
  std::string proto = request.get_header_value("X-Forwarded-Proto");
  proto = proto.substr(0, proto.find(','));
  if (proto != "http" && proto != "https") {
    const std::string name = host.substr(0, host.rfind(':') < host.size() && host.back() != ']'
                                                 ? host.rfind(':')
                                                 : host.size());
    proto = name.ends_with(".sprites.app") ? "https" : "http";
  }
  return proto + "://" + host;
}

StatusFigures Server::Figures(const httplib::Request& request) {
  StatusFigures figures;
  figures.model = model_.load();
  figures.model_id = model_id_;
  figures.load_error = load_error();
  if (figures.model) figures.scheduler = figures.model->scheduler.stats();
  {
    std::lock_guard lock(mutex_);
    figures.responses_by_status = responses_by_status_;
  }
  figures.uptime_seconds = std::chrono::duration<double>(Clock::now() - start_).count();
  figures.load_seconds = load_seconds_;
  figures.public_url = PublicUrl(request);
  figures.api_key_required = !options_.api_key.empty();
  return figures;
}

void Server::Health(const httplib::Request&, httplib::Response& response) {
  RequireModel();
  SendJson(response, {{"status", "ok"}});
}

void Server::Models(const httplib::Request&, httplib::Response& response) {
  const json model = {{"id", model_id_}, {"object", "model"}, {"created", 0}, {"owned_by", "bitbrain"}};
  SendJson(response, {{"object", "list"}, {"data", {model}}});
}

void Server::Model(const httplib::Request& request, httplib::Response& response) {
  if (request.matches[1] != model_id_) {
    throw ApiError(404, "invalid_request_error",
                   "no model '" + request.matches[1].str() + "' here (this server has '" +
                       model_id_ + "')",
                   "model", "model_not_found");
  }
  SendJson(response, {{"id", model_id_}, {"object", "model"}, {"created", 0}, {"owned_by", "bitbrain"}});
}

void Server::Metrics(const httplib::Request& request, httplib::Response& response) {
  response.set_content(MetricsText(Figures(request)), "text/plain; version=0.0.4");
}

void Server::StatusPage(const httplib::Request& request, httplib::Response& response) {
  response.set_content(StatusPageHtml(Figures(request)), "text/html; charset=utf-8");
}

void Server::ChatPage(const httplib::Request&, httplib::Response& response) {
  response.set_content(std::string(web::ChatPageHtml()), "text/html; charset=utf-8");
}

void Server::ClientPy(const httplib::Request& request, httplib::Response& response) {
  response.set_content(web::ClientPy(PublicUrl(request)), "text/x-python; charset=utf-8");
}

void Server::ChatCompletions(const httplib::Request& request, httplib::Response& response) {
  ServedModel& model = RequireModel();
  const ChatRequest chat = ParseChatRequest(request.body, model.engine.config().vocab_size);
  JobInput input;
  input.prompt = chat::EncodeChat(model.tokenizer, chat.messages);
  CheckContext(input.prompt.size(), chat.max_tokens, model.engine.context_length());
  input.sampling = chat.sampling;
  input.max_tokens = chat.max_tokens;
  input.stop_strings = chat.stop;
  input.logprobs = chat.logprobs;
  input.top_logprobs = chat.top_logprobs;
  input.json_schema = chat.json_schema;
  auto job = std::make_shared<Job>(std::move(input));
  if (!model.scheduler.Submit(job)) throw QueueFull();

  const CompletionHeader header = {.id = NewCompletionId(),
                                   .created = static_cast<int64_t>(std::time(nullptr)),
                                   .model = model_id_,
                                   .system_fingerprint = model.facts.fingerprint};
  const tokenizer::Tokenizer& tokenizer = model.tokenizer;
  const bool logprobs = chat.logprobs;
  if (!chat.stream) {
    const JobProgress result = job->TakeAll();
    if (result.error) throw ApiError(500, "server_error", *result.error);
    SendJson(response, CompletionJson(header, result.text, result.finish_reason, result.usage,
                                      logprobs ? LogprobsJson(tokenizer, result.logprobs)
                                               : json(nullptr)));
    return;
  }

  // Streaming: the provider runs on this worker after the handler returns,
  // and is called again until it calls done() or returns false.
  response.set_header("Cache-Control", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
  auto started = std::make_shared<bool>(false);
  const bool include_usage = chat.include_usage;
  response.set_chunked_content_provider(
      "text/event-stream",  // exactly: anything else gets compressed (serving.md section 5)
      [job, header, started, include_usage, logprobs, &tokenizer](size_t,
                                                                   httplib::DataSink& sink) {
        // Never an empty write: it would end the chunked stream unterminated.
        const auto send = [&](const std::string& event) {
          if (sink.write(event.data(), event.size())) return true;
          job->Cancel();
          return false;
        };
        if (!*started) {
          *started = true;
          return send(Event(ChunkJson(header, {{"role", "assistant"}, {"content", ""}}, nullptr,
                                      std::nullopt, include_usage)));
        }
        if (!sink.is_writable()) {
          job->Cancel();
          return false;
        }
        const JobProgress progress = job->Take(std::chrono::milliseconds(100));
        if (!progress.text.empty() || !progress.logprobs.empty()) {
          const json delta = {{"content", progress.text}};
          const json token_logprobs =
              logprobs ? LogprobsJson(tokenizer, progress.logprobs) : json(nullptr);
          if (!send(Event(ChunkJson(header, delta, token_logprobs, std::nullopt, include_usage)))) {
            return false;
          }
        }
        if (!progress.finished) return true;
        if (progress.error) {
          // The status line is gone: the error travels in-band.
          if (!send(Event(ApiError(500, "server_error", *progress.error).ToJson()))) return false;
        } else {
          if (!send(Event(ChunkJson(header, json::object(), nullptr, progress.finish_reason,
                                    include_usage)))) {
            return false;
          }
          if (include_usage && !send(Event(UsageChunkJson(header, progress.usage)))) return false;
        }
        if (!send("data: [DONE]\n\n")) return false;
        sink.done();
        return true;
      },
      // However the response ends, a job still running has lost its reader.
      [job](bool) { job->Cancel(); });
}

void Server::Classify(const httplib::Request& request, httplib::Response& response) {
  ServedModel& model = RequireModel();
  const ClassifyRequest classify = ParseClassifyRequest(ParseJsonObject(request.body));
  JobInput input = ClassifyJob(classify, model.tokenizer);
  size_t longest = 0;
  for (const std::vector<int32_t>& label : input.continuations) {
    longest = std::max(longest, label.size());
  }
  CheckContext(input.prompt.size(), static_cast<int>(longest), model.engine.context_length());
  auto job = std::make_shared<Job>(std::move(input));
  if (!model.scheduler.Submit(job)) throw QueueFull();
  const JobProgress result = job->TakeAll();
  if (result.error) throw ApiError(500, "server_error", *result.error);
  SendJson(response, ClassifyJson(classify, result));
}

// llama-server's shapes: {"content", "add_special", "with_pieces"} ->
// {"tokens": [id...]} or {"tokens": [{"id", "piece"}...]}.
void Server::Tokenize(const httplib::Request& request, httplib::Response& response) {
  ServedModel& model = RequireModel();
  const json body = ParseJsonObject(request.body);
  const std::optional<std::string> content = StringField(body, "content");
  if (!content) throw InvalidField("content", "'content' is required");
  std::vector<int32_t> ids;
  if (BoolField(body, "add_special").value_or(false)) ids.push_back(model.tokenizer.special().bos);
  const std::vector<int32_t> text_ids = model.tokenizer.Encode(*content);
  ids.insert(ids.end(), text_ids.begin(), text_ids.end());
  json tokens = json::array();
  const bool with_pieces = BoolField(body, "with_pieces").value_or(false);
  for (const int32_t id : ids) {
    if (with_pieces) {
      tokens.push_back({{"id", id}, {"piece", std::string(model.tokenizer.TokenBytes(id))}});
    } else {
      tokens.push_back(id);
    }
  }
  SendJson(response, {{"tokens", std::move(tokens)}});
}

// {"tokens": [id...]} -> {"content": text}
void Server::Detokenize(const httplib::Request& request, httplib::Response& response) {
  ServedModel& model = RequireModel();
  const json body = ParseJsonObject(request.body);
  const json* tokens = FindField(body, "tokens");
  if (!tokens || !tokens->is_array()) {
    throw InvalidField("tokens", "'tokens' must be an array of token ids");
  }
  std::vector<int32_t> ids;
  for (const json& id : *tokens) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
        id.get<int64_t>() >= model.tokenizer.vocab_size()) {
      throw InvalidField("tokens", "'tokens' must hold token ids in [0, " +
                                       std::to_string(model.tokenizer.vocab_size()) + ")");
    }
    ids.push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  SendJson(response, {{"content", model.tokenizer.Decode(ids)}});
}

}  // namespace bitbrain::serve
