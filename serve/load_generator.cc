// The server's figures (a benchmark, not a test): start to ready, latency of
// a non-streamed reply, time to first streamed token, and aggregate tokens/s
// with 1, 4 and 8 concurrent streams. Run it against a server just started:
//
//   .bazel/bin/serve/serve --model M --threads 2 --parallel 8 &
//   .bazel/bin/serve/load_generator --port 8080
//
// Replies are made full length by biasing the end tokens away, so every
// stream generates exactly --tokens tokens. Medians of --repeat runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Settings {
  std::string host = "127.0.0.1";
  int port = 8080;
  int tokens = 32;
  int repeat = 5;
  std::vector<int> concurrency = {1, 4, 8};
  std::vector<int> end_tokens = {128001, 128009};  // LLaMA-3: end of text, end of turn
};

json Request(const Settings& settings, int index, bool stream) {
  json bias = json::object();
  for (const int token : settings.end_tokens) bias[std::to_string(token)] = -100;
  return {{"model", "any"},
          {"messages", {{{"role", "user"}, {"content", "Write about topic " + std::to_string(index)}}}},
          {"max_tokens", settings.tokens},
          {"temperature", 0},
          {"logit_bias", bias},
          {"stream", stream},
          {"stream_options", {{"include_usage", true}}}};
}

// One streamed request: seconds to the first content, and tokens generated.
struct StreamResult {
  double first_token_seconds = 0;
  int tokens = 0;
};

StreamResult RunStream(const Settings& settings, int index) {
  httplib::Client client(settings.host, settings.port);
  client.set_read_timeout(600);
  StreamResult result;
  const Clock::time_point start = Clock::now();
  std::string buffer;
  httplib::Request request;
  request.method = "POST";
  request.path = "/v1/chat/completions";
  request.body = Request(settings, index, true).dump();
  request.set_header("Content-Type", "application/json");
  request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    buffer.append(data, size);
    for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
      const std::string event = buffer.substr(6, end - 6);
      buffer.erase(0, end + 2);
      if (event == "[DONE]") continue;
      const json chunk = json::parse(event);
      if (chunk.contains("usage") && chunk["usage"].is_object()) {
        result.tokens = chunk["usage"]["completion_tokens"];
      } else if (result.first_token_seconds == 0 && !chunk["choices"].empty() &&
                 !chunk["choices"][0]["delta"].value("content", "").empty()) {
        result.first_token_seconds = SecondsSince(start);
      }
    }
    return true;
  };
  const httplib::Result response = client.send(request);
  if (!response || response->status != 200) {
    std::fprintf(stderr, "load_generator: a stream failed\n");
    std::exit(1);
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  CLI::App app("Figures of a running bitbrain server");
  app.add_option("--host", settings.host)->capture_default_str();
  app.add_option("--port", settings.port)->capture_default_str();
  app.add_option("--tokens", settings.tokens, "Tokens per reply")->capture_default_str();
  app.add_option("--repeat", settings.repeat, "Runs per figure (median)")->capture_default_str();
  app.add_option("--concurrency", settings.concurrency, "Concurrent streams to measure");
  app.add_option("--end-tokens", settings.end_tokens, "Token ids biased away");
  CLI11_PARSE(app, argc, argv);

  httplib::Client client(settings.host, settings.port);
  client.set_read_timeout(600);
  const Clock::time_point start = Clock::now();
  while (true) {
    const httplib::Result health = client.Get("/health");
    if (health && health->status == 200) break;
    if (SecondsSince(start) > 600) {
      std::fprintf(stderr, "load_generator: no /health 200 after 600 s\n");
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("start to /health 200 (from this program's start): %.2f s\n", SecondsSince(start));

  std::vector<double> latencies, first_tokens;
  for (int i = 0; i < settings.repeat; ++i) {
    const Clock::time_point sent = Clock::now();
    const httplib::Result reply = client.Post("/v1/chat/completions",
                                              Request(settings, i, false).dump(), "application/json");
    if (!reply || reply->status != 200) {
      std::fprintf(stderr, "load_generator: a request failed\n");
      return 1;
    }
    latencies.push_back(SecondsSince(sent));
    first_tokens.push_back(RunStream(settings, 100 + i).first_token_seconds);
  }
  std::printf("%d-token non-streamed reply: median %.3f s\n", settings.tokens, Median(latencies));
  std::printf("time to first streamed token: median %.3f s\n", Median(first_tokens));

  for (const int streams : settings.concurrency) {
    std::vector<double> rates;
    for (int run = 0; run < settings.repeat; ++run) {
      std::vector<StreamResult> results(streams);
      std::vector<std::thread> threads;
      const Clock::time_point begin = Clock::now();
      for (int s = 0; s < streams; ++s) {
        threads.emplace_back([&, s] { results[s] = RunStream(settings, 1000 * run + s); });
      }
      for (std::thread& thread : threads) thread.join();
      int tokens = 0;
      for (const StreamResult& result : results) tokens += result.tokens;
      rates.push_back(tokens / SecondsSince(begin));
    }
    std::printf("%d concurrent streams: median %.1f generated tokens/s in total\n", streams,
                Median(rates));
  }
  return 0;
}
