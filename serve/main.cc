// bazel run //serve -- [--model FILE] [--host 127.0.0.1] [--port 8080] ...
// The OpenAI-compatible chat server; see serve/README.md.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <thread>

#include <CLI/CLI.hpp>

#include "engine/cli/model_flags.h"
#include "engine/cli/working_directory.h"
#include "serve/server.h"

int main(int argc, char** argv) {
  bitbrain::serve::ServerOptions options;
  CLI::App app("bitbrain serve: an OpenAI-compatible chat server for BitNet b1.58 models");
  bitbrain::cli::ModelFlags model_flags;  // --model, --threads, --ctx, --isa, ...
  bitbrain::cli::AddModelFlags(app, model_flags);
  app.add_option("--host", options.host, "Address to listen on (0.0.0.0: every interface)")
      ->capture_default_str();
  app.add_option("--port", options.port, "Port (0: any free one)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--parallel", options.scheduler.parallel,
                 "Requests decoded together (slots)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--queue", options.scheduler.queue_limit,
                 "Requests waiting for a slot before 429")
      ->check(CLI::Range(0, 1024))
      ->capture_default_str();
  app.add_option("--api-key", options.api_key,
                 "Require this key (Authorization: Bearer KEY or X-Api-Key: KEY)");
  app.add_option("--public-url", options.public_url,
                 "The URL clients reach this server at (default: from the request headers)");
  app.add_option("--cors-origin", options.cors_origin,
                 "Allow browser pages from this origin (\"*\": any; default: same origin only)");
  CLI11_PARSE(app, argc, argv);
  try {
    bitbrain::cli::EnterInvocationDirectory();
    options.model = model_flags.model;  // empty: the default model, made while /health says 503
    options.engine = bitbrain::cli::EngineOptionsFrom(model_flags);
    // SIGINT and SIGTERM stop the server from a thread of their own (every
    // thread started from here on blocks them), not from a signal handler.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    bitbrain::serve::Server server(options);
    const int port = server.Start();
    std::fprintf(stderr, "bitbrain serve: listening on http://%s:%d (loading the model)\n",
                 options.host.c_str(), port);
    std::thread([&server, stop_signals] {
      int signal = 0;
      sigwait(&stop_signals, &signal);
      server.Stop();
    }).detach();  // ends with the process
    // A model that cannot load is a fatal error, said once and clearly.
    std::thread watcher([&server] {
      if (server.WaitUntilLoaded()) {
        std::fprintf(stderr, "bitbrain serve: ready\n");
      } else {
        server.Stop();
      }
    });
    server.Run();
    watcher.join();
    const std::string error = server.load_error();
    return error.empty() ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bitbrain serve: %s\n", error.what());
    return 1;
  }
}
