// The server end to end: an httplib client against the real server on a
// loopback port, serving the tiny synthetic model.
#include "serve/server.h"

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "engine/chat/chat_format.h"
#include "engine/generate/generator.h"
#include "engine/gguf/gguf.h"
#include "engine/runtime/engine.h"
#include "engine/tokenizer/tokenizer.h"

namespace bitbrain::serve {
namespace {

using nlohmann::json;

constexpr const char* kTinyModel = "engine/synthetic/tiny.gguf";

// A server on a free loopback port, serving until destroyed.
class TestServer {
 public:
  // Serves `options.model`, by default the tiny model.
  explicit TestServer(ServerOptions options) : server_(Prepare(std::move(options))) {
    port_ = server_.Start();
    thread_ = std::thread([this] { server_.Run(); });
    loaded_ = server_.WaitUntilLoaded();
  }
  ~TestServer() {
    server_.Stop();
    thread_.join();
  }
  bool loaded() const { return loaded_; }
  httplib::Client Client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(60);
    return client;
  }

 private:
  static ServerOptions Prepare(ServerOptions options) {
    if (options.model.empty()) options.model = kTinyModel;
    options.port = 0;
    options.engine.threads = 1;
    return options;
  }
  Server server_;
  int port_ = 0;
  bool loaded_ = false;
  std::thread thread_;
};

ServerOptions Slots(int parallel, int queue_limit) {
  ServerOptions options;
  options.scheduler.parallel = parallel;
  options.scheduler.queue_limit = queue_limit;
  return options;
}

TestServer& SharedServer() {
  static TestServer server(Slots(4, 64));
  REQUIRE(server.loaded());
  return server;
}

json Post(httplib::Client& client, const std::string& path, const json& body, int expected = 200) {
  const httplib::Result result = client.Post(path.c_str(), body.dump(), "application/json");
  REQUIRE(result);
  INFO(result->body);
  REQUIRE(result->status == expected);
  return json::parse(result->body);
}

json Chat(const std::string& user, int max_tokens) {
  return {{"model", "tiny.gguf"},
          {"messages", {{{"role", "user"}, {"content", user}}}},
          {"max_tokens", max_tokens},
          {"temperature", 0}};
}

// What the engine alone generates for `body`'s messages, greedily: the
// reference the server must reproduce whatever shares its steps.
struct Reference {
  std::string text;
  int tokens;
};
Reference Generate(const std::vector<chat::Message>& messages, int max_tokens) {
  static runtime::Engine engine(kTinyModel, {.threads = 1});
  static const tokenizer::Tokenizer tokenizer =
      tokenizer::Tokenizer::FromGguf(gguf::File::Open(kTinyModel));
  generate::Generator generator(engine, tokenizer);
  runtime::Sequence sequence = engine.NewSequence();
  generate::GenerationOptions options;
  options.max_tokens = max_tokens;
  options.sampling.temperature = 0;
  const generate::GenerationResult result =
      generator.Generate(sequence, chat::EncodeChat(tokenizer, messages), options);
  return {result.text, static_cast<int>(result.tokens.size())};
}

// A logit_bias that keeps a reply going until its token limit.
json EndTokensAway() {
  const tokenizer::Tokenizer tokenizer =
      tokenizer::Tokenizer::FromGguf(gguf::File::Open(kTinyModel));
  json bias;
  for (const int32_t end : chat::StopTokens(tokenizer)) bias[std::to_string(end)] = -100;
  return bias;
}

// response_format for a JSON Schema.
json JsonSchemaFormat(const json& schema, const json& strict = true) {
  return {{"type", "json_schema"},
          {"json_schema", {{"name", "reply"}, {"schema", schema}, {"strict", strict}}}};
}

const json kYesNoSchema = {{"type", "object"},
                           {"properties", {{"answer", {{"enum", {"yes", "no"}}}}}},
                           {"required", {"answer"}},
                           {"additionalProperties", false}};

// No finite document matches it: every x must hold another x.
const json kEndlessSchema = json::parse(R"({
  "$defs": {"x": {"type": "object", "properties": {"n": {"$ref": "#/$defs/x"}}, "required": ["n"]}},
  "$ref": "#/$defs/x"})");

// A logit_bias towards the tokens that close strings, objects and arrays, so
// that the random tiny model ends its JSON well within its token limit.
json TowardsClosing() {
  const tokenizer::Tokenizer tokenizer =
      tokenizer::Tokenizer::FromGguf(gguf::File::Open(kTinyModel));
  json bias = json::object();
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.token_type(id) != tokenizer::TokenType::kNormal) continue;
    if (tokenizer.TokenBytes(id).find_first_of("\"]}") != std::string_view::npos) {
      bias[std::to_string(id)] = 8;
    }
  }
  return bias;
}

// The text and events of a streamed completion.
struct Stream {
  std::string content_type;
  std::vector<json> events;
  std::string text;
  bool done = false;
};
Stream PostStream(httplib::Client& client, const json& body) {
  Stream stream;
  std::string buffer;
  httplib::Request request;
  request.method = "POST";
  request.path = "/v1/chat/completions";
  request.body = body.dump();
  request.set_header("Content-Type", "application/json");
  request.response_handler = [&](const httplib::Response& response) {
    stream.content_type = response.get_header_value("Content-Type");
    return true;
  };
  request.content_receiver = [&](const char* data, size_t size, uint64_t, uint64_t) {
    buffer.append(data, size);
    for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
      const std::string event = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      REQUIRE(event.starts_with("data: "));
      if (event == "data: [DONE]") {
        stream.done = true;
        continue;
      }
      json chunk = json::parse(event.substr(6));
      if (chunk.contains("choices") && !chunk["choices"].empty()) {
        const json& delta = chunk["choices"][0]["delta"];
        if (delta.contains("content")) stream.text += delta["content"].get<std::string>();
      }
      stream.events.push_back(std::move(chunk));
    }
    return true;
  };
  const httplib::Result result = client.send(request);
  REQUIRE(result);
  REQUIRE(result->status == 200);
  return stream;
}

// The value of a metric without labels.
double Metric(httplib::Client& client, const std::string& name) {
  const httplib::Result result = client.Get("/metrics");
  REQUIRE(result);
  const size_t at = result->body.find("\n" + name + " ");
  REQUIRE(at != std::string::npos);
  return std::stod(result->body.substr(at + name.size() + 2));
}

// Waits (a few seconds at most) until no job is queued and no slot is busy. A
// job can sit in the queue with no slot busy yet, so both are polled together.
void WaitUntilIdle(httplib::Client& client) {
  const auto idle = [&] {
    return Metric(client, "bitbrain_active_slots") == 0 &&
           Metric(client, "bitbrain_queue_depth") == 0;
  };
  for (int i = 0; i < 100 && !idle(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(Metric(client, "bitbrain_active_slots") == 0);
  REQUIRE(Metric(client, "bitbrain_queue_depth") == 0);
}

TEST_CASE("health, models, status page and metrics answer") {
  httplib::Client client = SharedServer().Client();
  httplib::Result health = client.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(json::parse(health->body) == json{{"status", "ok"}});
  const httplib::Result models = client.Get("/v1/models");
  REQUIRE(models);
  CHECK(json::parse(models->body)["data"][0]["id"] == "tiny.gguf");
  CHECK(client.Get("/v1/models/tiny.gguf")->status == 200);
  CHECK(client.Get("/v1/models/other.gguf")->status == 404);
  const httplib::Result page = client.Get("/");
  REQUIRE(page);
  CHECK(page->body.find("bitnet-b1.58") != std::string::npos);
  CHECK(page->body.find("/v1/chat/completions") != std::string::npos);
  CHECK(page->body.find("ternary weights") != std::string::npos);
  CHECK(client.Get("/metrics")->body.find("bitbrain_generated_tokens_total") != std::string::npos);
}

TEST_CASE("a completion has the OpenAI shape and equals the engine's own generation") {
  httplib::Client client = SharedServer().Client();
  const json response = Post(client, "/v1/chat/completions", Chat("Hello there", 12));
  CHECK(response["object"] == "chat.completion");
  CHECK(response["id"].get<std::string>().starts_with("chatcmpl-"));
  CHECK(response["system_fingerprint"].get<std::string>().starts_with("bitbrain-"));
  const json& choice = response["choices"][0];
  CHECK(choice["message"]["role"] == "assistant");
  CHECK(choice["message"]["refusal"].is_null());
  CHECK(choice["logprobs"].is_null());
  const Reference reference = Generate({{chat::Role::kUser, "Hello there"}}, 12);
  CHECK(choice["message"]["content"] == reference.text);
  CHECK(response["usage"]["completion_tokens"] == reference.tokens);
  CHECK(choice["finish_reason"] == (reference.tokens == 12 ? "length" : "stop"));
  CHECK(response["usage"]["total_tokens"] == response["usage"]["prompt_tokens"].get<int>() +
                                                 reference.tokens);
  CHECK(response["usage"]["prompt_tokens_details"].contains("cached_tokens"));
}

TEST_CASE("a stream is SSE with the same text as the engine's, usage last, then [DONE]") {
  httplib::Client client = SharedServer().Client();
  json body = Chat("Tell me a story", 20);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  const Stream stream = PostStream(client, body);
  CHECK(stream.content_type == "text/event-stream");
  CHECK(stream.done);
  REQUIRE(stream.events.size() >= 3);
  CHECK(stream.events[0]["choices"][0]["delta"]["role"] == "assistant");
  for (const json& event : stream.events) {
    CHECK(event["id"] == stream.events[0]["id"]);
    CHECK(event["created"] == stream.events[0]["created"]);
  }
  const json& last = stream.events.back();
  CHECK(last["choices"].empty());
  CHECK(last["usage"]["completion_tokens"].get<int>() > 0);
  CHECK(stream.events[stream.events.size() - 2]["choices"][0]["finish_reason"].is_string());
  CHECK(stream.events[1]["usage"].is_null());
  CHECK(stream.text == Generate({{chat::Role::kUser, "Tell me a story"}}, 20).text);
}

TEST_CASE("a stop string ends the reply and never appears in it") {
  httplib::Client client = SharedServer().Client();
  const std::string full = Generate({{chat::Role::kUser, "Say something"}}, 30).text;
  // Two ASCII characters from the middle of the greedy reply.
  size_t at = full.size() / 2;
  while (at + 1 < full.size() && !(std::isalpha(full[at]) && std::isalpha(full[at + 1]))) ++at;
  REQUIRE(at + 1 < full.size());
  const std::string stop = full.substr(at, 2);
  for (const bool stream : {false, true}) {
    json body = Chat("Say something", 30);
    body["stop"] = {"zzzz-never", stop};
    body["stream"] = stream;
    const std::string text =
        stream ? PostStream(client, body).text
               : Post(client, "/v1/chat/completions", body)["choices"][0]["message"]["content"]
                     .get<std::string>();
    CHECK(text == full.substr(0, full.find(stop)));
  }
}

TEST_CASE("logprobs: one entry per generated token, top_logprobs sorted") {
  httplib::Client client = SharedServer().Client();
  json body = Chat("Numbers", 5);
  body["logprobs"] = true;
  body["top_logprobs"] = 3;
  const json response = Post(client, "/v1/chat/completions", body);
  const json& content = response["choices"][0]["logprobs"]["content"];
  REQUIRE(!content.empty());
  for (const json& token : content) {
    REQUIRE(token["top_logprobs"].size() == 3);
    // Greedy: the chosen token is the most likely one.
    CHECK(token["logprob"] == token["top_logprobs"][0]["logprob"]);
    CHECK(token["top_logprobs"][0]["logprob"] >= token["top_logprobs"][1]["logprob"]);
    CHECK(token["logprob"].get<double>() <= 0);
  }
}

TEST_CASE("bad requests get the right status and error object, and the server keeps serving") {
  httplib::Client client = SharedServer().Client();
  const json good = Chat("hi", 2);
  const auto with = [&](const std::string& key, const json& value) {
    json body = good;
    body[key] = value;
    return body.dump();
  };
  const auto without = [&](const std::string& key) {
    json body = good;
    body.erase(key);
    return body.dump();
  };
  struct Case {
    const char* name;
    std::string method, path, body;
    int status;
    std::optional<std::string> param;
  };
  const std::string chat = "/v1/chat/completions";
  const std::vector<Case> cases = {
      {"malformed JSON", "POST", chat, "{\"model\": ", 400, std::nullopt},
      {"not an object", "POST", chat, "[1, 2]", 400, std::nullopt},
      {"no model", "POST", chat, without("model"), 400, "model"},
      {"no messages", "POST", chat, without("messages"), 400, "messages"},
      {"empty messages", "POST", chat, with("messages", json::array()), 400, "messages"},
      {"messages not an array", "POST", chat, with("messages", "hi"), 400, "messages"},
      {"unknown role", "POST", chat,
       with("messages", {{{"role", "wizard"}, {"content", "hi"}}}), 400, "messages[0].role"},
      {"content a number", "POST", chat, with("messages", {{{"role", "user"}, {"content", 5}}}),
       400, "messages[0].content"},
      {"image part", "POST", chat,
       with("messages", {{{"role", "user"},
                          {"content", {{{"type", "image_url"}, {"image_url", {{"url", "x"}}}}}}}}),
       400, "messages[0].content[0].type"},
      {"temperature a string", "POST", chat, with("temperature", "hot"), 400, "temperature"},
      {"temperature too high", "POST", chat, with("temperature", 2.5), 400, "temperature"},
      {"top_p out of range", "POST", chat, with("top_p", -0.1), 400, "top_p"},
      {"max_tokens zero", "POST", chat, with("max_tokens", 0), 400, "max_tokens"},
      {"max_tokens fractional", "POST", chat, with("max_tokens", 2.5), 400, "max_tokens"},
      {"presence_penalty", "POST", chat, with("presence_penalty", 3), 400, "presence_penalty"},
      {"five stop strings", "POST", chat, with("stop", {"a", "b", "c", "d", "e"}), 400, "stop"},
      {"stream not a bool", "POST", chat, with("stream", "yes"), 400, "stream"},
      {"top_logprobs without logprobs", "POST", chat, with("top_logprobs", 2), 400,
       "top_logprobs"},
      {"top_logprobs 21", "POST", chat,
       [&] {
         json body = good;
         body["logprobs"] = true;
         body["top_logprobs"] = 21;
         return body.dump();
       }(),
       400, "top_logprobs"},
      {"logit_bias bad id", "POST", chat, with("logit_bias", {{"-3", 1}}), 400, "logit_bias"},
      {"n = 2", "POST", chat, with("n", 2), 400, "n"},
      {"response_format a string", "POST", chat, with("response_format", "json"), 400,
       "response_format"},
      {"response_format type unknown", "POST", chat, with("response_format", {{"type", "xml"}}),
       400, "response_format.type"},
      {"json_schema without json_schema", "POST", chat,
       with("response_format", {{"type", "json_schema"}}), 400, "response_format.json_schema"},
      {"json_schema strict not a boolean", "POST", chat,
       with("response_format", JsonSchemaFormat({{"type", "object"}}, "yes")), 400,
       "response_format.json_schema.strict"},
      {"json_schema keyword not supported", "POST", chat,
       with("response_format",
            JsonSchemaFormat({{"type", "object"},
                              {"properties", {{"code", {{"type", "string"}, {"pattern", "^[A-Z]+$"}}}}}})),
       400, "response_format.json_schema.schema.properties.code.pattern"},
      {"json_schema no finite document matches", "POST", chat,
       with("response_format", JsonSchemaFormat(kEndlessSchema)), 400,
       "response_format.json_schema.schema.$defs.x.properties.n"},
      {"json_schema no finite document matches, streamed", "POST", chat,
       [&] {
         json body = good;
         body["response_format"] = JsonSchemaFormat(kEndlessSchema);
         body["stream"] = true;
         return body.dump();
       }(),
       400, "response_format.json_schema.schema.$defs.x.properties.n"},
      {"context exceeded", "POST", chat, with("max_tokens", 100000), 400, "messages"},
      {"huge body", "POST", chat, std::string(9 << 20, ' '), 413, std::nullopt},
      {"unknown route", "GET", "/v2/nothing", "", 404, std::nullopt},
      {"wrong method", "GET", chat, "", 405, std::nullopt},
      {"wrong method on a GET route", "POST", "/health", "{}", 405, std::nullopt},
      {"PUT", "PUT", "/v1/models", "{}", 405, std::nullopt},
      {"PUT on an unknown route", "PUT", "/nothing", "{}", 404, std::nullopt},
      {"classify one label", "POST", "/v1/classify",
       json{{"text", "x"}, {"labels", {"a"}}}.dump(), 400, "labels"},
      {"classify repeated label", "POST", "/v1/classify",
       json{{"text", "x"}, {"labels", {"a", "a"}}}.dump(), 400, "labels"},
      {"detokenize bad id", "POST", "/detokenize", json{{"tokens", {1, -1}}}.dump(), 400,
       "tokens"},
  };
  for (const Case& test : cases) {
    INFO(test.name);
    httplib::Result result =
        test.method == "GET"   ? client.Get(test.path.c_str())
        : test.method == "PUT" ? client.Put(test.path.c_str(), test.body, "application/json")
                               : client.Post(test.path.c_str(), test.body, "application/json");
    REQUIRE(result);
    INFO(result->body);
    CHECK(result->status == test.status);
    const json body = json::parse(result->body, nullptr, false);
    REQUIRE(body.contains("error"));
    const json& error = body["error"];
    for (const char* key : {"message", "type", "param", "code"}) CHECK(error.contains(key));
    CHECK(error["message"].is_string());
    CHECK(error["type"] == "invalid_request_error");
    if (test.param) CHECK(error["param"] == *test.param);
    CHECK(result->get_header_value("x-should-retry") == "false");
  }
  CHECK(Post(client, chat, good)["object"] == "chat.completion");
}

TEST_CASE("json_object: the reply is one JSON object, streamed or not") {
  httplib::Client client = SharedServer().Client();
  for (const uint64_t seed : {1, 2, 3}) {
    json body = Chat("Describe a cat in JSON", 300);
    body["response_format"] = {{"type", "json_object"}};
    body["temperature"] = 1;
    body["seed"] = seed;
    body["logit_bias"] = TowardsClosing();
    const json response = Post(client, "/v1/chat/completions", body);
    const std::string text = response["choices"][0]["message"]["content"];
    INFO("seed " << seed << ": " << text);
    CHECK(response["choices"][0]["finish_reason"] == "stop");
    const json reply = json::parse(text, nullptr, /*allow_exceptions=*/false);
    CHECK(reply.is_object());
    // The same seed streamed gives the same reply.
    body["stream"] = true;
    const Stream stream = PostStream(client, body);
    CHECK(stream.text == text);
    CHECK(stream.events[stream.events.size() - 1]["choices"][0]["finish_reason"] == "stop");
  }
}

TEST_CASE("json_schema: the yes/no answer is exactly an object with answer yes or no") {
  httplib::Client client = SharedServer().Client();
  for (const bool stream : {false, true}) {
    for (const uint64_t seed : {1, 2, 3, 4}) {
      json body = Chat("Is the sky blue? Answer in JSON.", 50);
      body["response_format"] = JsonSchemaFormat(kYesNoSchema);
      body["temperature"] = 1;
      body["seed"] = seed;
      body["stream"] = stream;
      const std::string text =
          stream ? PostStream(client, body).text
                 : Post(client, "/v1/chat/completions", body)["choices"][0]["message"]["content"]
                       .get<std::string>();
      INFO("seed " << seed << ": " << text);
      const json reply = json::parse(text, nullptr, /*allow_exceptions=*/false);
      CHECK((reply == json{{"answer", "yes"}} || reply == json{{"answer", "no"}}));
    }
  }
}

TEST_CASE("a JSON reply cut by max_tokens ends with finish_reason length") {
  httplib::Client client = SharedServer().Client();
  // At least 51 bytes: more than 6 tokens of the tiny vocabulary can hold.
  json body = Chat("A long JSON text", 6);
  body["response_format"] = JsonSchemaFormat(
      {{"type", "object"},
       {"properties", {{"text", {{"type", "string"}, {"minLength", 40}}}}},
       {"required", {"text"}}});
  const json response = Post(client, "/v1/chat/completions", body);
  CHECK(response["choices"][0]["finish_reason"] == "length");
  CHECK(response["usage"]["completion_tokens"] == 6);
  CHECK(response["choices"][0]["message"]["content"].get<std::string>().starts_with("{"));
}

TEST_CASE("batching and the prompt cache do not change a JSON-constrained reply") {
  httplib::Client client = SharedServer().Client();
  json body = Chat("Constrained and cached", 60);
  body["response_format"] = {{"type", "json_object"}};
  body["logit_bias"] = TowardsClosing();
  const json alone = Post(client, "/v1/chat/completions", body);
  const std::string text = alone["choices"][0]["message"]["content"];
  std::vector<std::string> texts(4);
  std::vector<std::thread> clients;
  for (size_t i = 0; i < texts.size(); ++i) {
    clients.emplace_back([&, i] {
      httplib::Client other = SharedServer().Client();
      json same = body;
      same["stream"] = i % 2 == 1;
      texts[i] = same["stream"] ? PostStream(other, same).text
                                : Post(other, "/v1/chat/completions", same)["choices"][0]["message"]
                                      ["content"].get<std::string>();
    });
  }
  for (std::thread& other : clients) other.join();
  for (const std::string& again : texts) CHECK(again == text);
  const json cached = Post(client, "/v1/chat/completions", body);
  CHECK(cached["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>() > 0);
  CHECK(cached["choices"][0]["message"]["content"] == text);
}

TEST_CASE("8 simultaneous greedy streams each equal the engine's generation alone") {
  const std::vector<std::string> prompts = {"one", "two words", "three more words", "four",
                                            "a fifth prompt", "six", "seventh heaven", "eight"};
  std::vector<Stream> streams(prompts.size());
  std::vector<std::thread> clients;
  for (size_t i = 0; i < prompts.size(); ++i) {
    clients.emplace_back([&, i] {
      httplib::Client client = SharedServer().Client();
      json body = Chat(prompts[i], 24);
      body["stream"] = true;
      streams[i] = PostStream(client, body);
    });
  }
  for (std::thread& client : clients) client.join();
  for (size_t i = 0; i < prompts.size(); ++i) {
    INFO(prompts[i]);
    CHECK(streams[i].done);
    for (const json& event : streams[i].events) CHECK(!event.contains("usage"));
    CHECK(streams[i].text == Generate({{chat::Role::kUser, prompts[i]}}, 24).text);
  }
}

TEST_CASE("a prompt sharing a cached prefix reuses it and gives the same output") {
  httplib::Client client = SharedServer().Client();
  const std::string system = "You are a careful assistant who answers briefly.";
  const json first = {{"model", "tiny.gguf"},
                      {"messages", {{{"role", "system"}, {"content", system}},
                                    {{"role", "user"}, {"content", "First question"}}}},
                      {"max_tokens", 8},
                      {"temperature", 0}};
  const json answer = Post(client, "/v1/chat/completions", first);
  const std::string reply = answer["choices"][0]["message"]["content"];
  json second = first;
  second["messages"].push_back({{"role", "assistant"}, {"content", reply}});
  second["messages"].push_back({{"role", "user"}, {"content", "And a second one"}});
  const json again = Post(client, "/v1/chat/completions", second);
  // At least the system turn came from the cache.
  CHECK(again["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>() >
        static_cast<int>(system.size()) / 8);
  const Reference reference = Generate({{chat::Role::kSystem, system},
                                        {chat::Role::kUser, "First question"},
                                        {chat::Role::kAssistant, reply},
                                        {chat::Role::kUser, "And a second one"}},
                                       8);
  CHECK(again["choices"][0]["message"]["content"] == reference.text);
}

TEST_CASE("a client that disconnects mid-stream frees its slot") {
  httplib::Client client = SharedServer().Client();
  WaitUntilIdle(client);
  const double cancelled = Metric(client, "bitbrain_requests_cancelled_total");
  json body = Chat("Go on forever", 480);
  body["stream"] = true;
  body["logit_bias"] = EndTokensAway();
  int chunks = 0;
  httplib::Client reader = SharedServer().Client();
  httplib::Request request;
  request.method = "POST";
  request.path = "/v1/chat/completions";
  request.body = body.dump();
  request.set_header("Content-Type", "application/json");
  // Returning false makes the client drop the connection.
  request.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++chunks < 3; };
  reader.send(request);
  CHECK(chunks == 3);
  WaitUntilIdle(client);
  CHECK(Metric(client, "bitbrain_requests_cancelled_total") == cancelled + 1);
}

TEST_CASE("a bounded load completes without errors or leaked slots") {
  std::atomic<int> ok = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client = SharedServer().Client();
      for (int i = 0; i < 40; ++i) {
        json body = Chat("load " + std::to_string(c) + " " + std::to_string(i), 3);
        body["stream"] = i % 2 == 0;
        const httplib::Result result =
            client.Post("/v1/chat/completions", body.dump(), "application/json");
        if (result && result->status == 200) ++ok;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  CHECK(ok == 240);
  httplib::Client client = SharedServer().Client();
  WaitUntilIdle(client);
}

TEST_CASE("classify returns one of the labels, scored from the prompt's continuation") {
  httplib::Client client = SharedServer().Client();
  const json body = {{"text", "The movie was wonderful"}, {"labels", {"positive", "negative", "neutral"}}};
  const json result = Post(client, "/v1/classify", body);
  CHECK(result["object"] == "classification");
  REQUIRE(result["labels"].size() == 3);
  double best = -1e300;
  std::string best_label;
  for (const json& label : result["labels"]) {
    CHECK(label["logprob"].get<double>() < 0);
    if (label["logprob"].get<double>() > best) {
      best = label["logprob"];
      best_label = label["label"];
    }
  }
  CHECK(result["label"] == best_label);
  // The same request again (its prompt now cached) scores the same.
  CHECK(Post(client, "/v1/classify", body)["labels"] == result["labels"]);
}

TEST_CASE("tokenize and detokenize round-trip") {
  httplib::Client client = SharedServer().Client();
  const json tokens = Post(client, "/tokenize", {{"content", "Hello world"}})["tokens"];
  REQUIRE(!tokens.empty());
  CHECK(Post(client, "/detokenize", {{"tokens", tokens}})["content"] == "Hello world");
}

TEST_CASE("a full queue answers 429 with Retry-After") {
  TestServer server(Slots(1, 0));
  REQUIRE(server.loaded());
  httplib::Client client = server.Client();
  // A long stream takes the only slot; the next request finds no room.
  json long_stream = Chat("Go on", 480);
  long_stream["stream"] = true;
  long_stream["logit_bias"] = EndTokensAway();
  std::promise<void> first_chunk;
  std::promise<void> second_answered;
  std::thread reader([&] {
    httplib::Client stream_client = server.Client();
    httplib::Request request;
    request.method = "POST";
    request.path = "/v1/chat/completions";
    request.body = long_stream.dump();
    request.set_header("Content-Type", "application/json");
    request.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) {
      first_chunk.set_value();
      second_answered.get_future().wait();
      return false;  // and hang up
    };
    stream_client.send(request);
  });
  first_chunk.get_future().wait();
  const json body = Chat("x", 1);
  const httplib::Result result = client.Post("/v1/chat/completions", body.dump(), "application/json");
  second_answered.set_value();
  reader.join();
  REQUIRE(result);
  CHECK(result->status == 429);
  CHECK(result->has_header("Retry-After"));
  CHECK(json::parse(result->body)["error"]["type"] == "rate_limit_error");
  // Once the slot is free again, requests are served.
  WaitUntilIdle(client);
  CHECK(client.Post("/v1/chat/completions", body.dump(), "application/json")->status == 200);
}

TEST_CASE("an API key guards the API but not the public routes") {
  ServerOptions options;
  options.api_key = "sesame";
  TestServer server(options);
  REQUIRE(server.loaded());
  httplib::Client client = server.Client();
  CHECK(client.Get("/health")->status == 200);
  CHECK(client.Get("/v1/models")->status == 200);
  const std::string body = Chat("x", 1).dump();
  httplib::Result denied = client.Post("/v1/chat/completions", body, "application/json");
  CHECK(denied->status == 401);
  CHECK(json::parse(denied->body)["error"]["type"] == "authentication_error");
  CHECK(client.Post("/v1/chat/completions", {{"Authorization", "Bearer nope"}}, body,
                    "application/json")->status == 401);
  CHECK(client.Post("/v1/chat/completions", {{"Authorization", "Bearer sesame"}}, body,
                    "application/json")->status == 200);
  CHECK(client.Post("/v1/chat/completions", {{"X-Api-Key", "sesame"}}, body, "application/json")
            ->status == 200);
  CHECK(client.Get("/metrics")->status == 401);
}

TEST_CASE("/health is 503 while the model loads, then 200") {
  std::promise<void> go_on;
  std::shared_future<void> may_load = go_on.get_future().share();
  ServerOptions options;
  options.model = kTinyModel;
  options.port = 0;
  options.engine.threads = 1;
  options.before_load = [may_load] { may_load.wait(); };
  Server server(options);
  const int port = server.Start();
  std::thread runner([&] { server.Run(); });
  httplib::Client client("127.0.0.1", port);
  const httplib::Result loading = client.Get("/health");
  const httplib::Result chat = client.Post("/v1/chat/completions", Chat("x", 1).dump(),
                                           "application/json");
  go_on.set_value();  // before any REQUIRE: the server's destructor waits for loading
  REQUIRE(loading);
  CHECK(loading->status == 503);
  CHECK(loading->get_header_value("Retry-After") == "2");
  CHECK(json::parse(loading->body)["error"]["type"] == "unavailable_error");
  REQUIRE(chat);
  CHECK(chat->status == 503);
  REQUIRE(server.WaitUntilLoaded());
  const httplib::Result ready = client.Get("/health");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  server.Stop();
  runner.join();
}

TEST_CASE("a model that cannot load is an error that says so, not a retry loop") {
  ServerOptions options;
  options.model = "no/such/model.gguf";
  TestServer server(options);
  REQUIRE(!server.loaded());
  httplib::Client client = server.Client();
  const httplib::Result health = client.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 500);
  CHECK(health->get_header_value("x-should-retry") == "false");
  CHECK(json::parse(health->body)["error"]["message"].get<std::string>().find("no/such/model.gguf") !=
        std::string::npos);
  CHECK(client.Get("/")->body.find("failed to load") != std::string::npos);
}

TEST_CASE("client.py carries the public URL from the request's headers") {
  httplib::Client client = SharedServer().Client();
  const httplib::Result result =
      client.Get("/client.py", {{"X-Forwarded-Host", "bitbrain-x.sprites.app"}});
  REQUIRE(result);
  CHECK(result->status == 200);
  CHECK(result->body.find("https://bitbrain-x.sprites.app") != std::string::npos);
  const httplib::Result injected = client.Get("/client.py", {{"Host", "evil\"; import os"}});
  REQUIRE(injected);
  CHECK(injected->body.find("evil") == std::string::npos);
}

// Constrained requests for the screened-head tests: greedy under
// json_object, a yes/no schema and a small record schema; the record by
// seeded top-k with a presence penalty and bias on the end tokens, which the
// mask refuses until the document is complete (forced rows it excludes).
std::vector<json> ConstrainedBodies() {
  const json record = {{"type", "object"},
                       {"properties",
                        {{"name", {{"type", "string"}, {"maxLength", 12}}},
                         {"legs", {{"type", "integer"}}}}},
                       {"required", {"name", "legs"}}};
  std::vector<json> bodies;
  for (const json& format :
       {json{{"type", "json_object"}}, JsonSchemaFormat(kYesNoSchema), JsonSchemaFormat(record)}) {
    json body = Chat("Describe a cat in JSON", 40);
    body["response_format"] = format;
    bodies.push_back(body);
  }
  json sampled = bodies[2];
  sampled["temperature"] = 1;
  sampled["top_k"] = 5;
  sampled["seed"] = 7;
  sampled["presence_penalty"] = 0.5;
  sampled["logit_bias"] = EndTokensAway();
  bodies.push_back(sampled);
  return bodies;
}

TEST_CASE("a JSON-constrained reply is the same with the screened head on and off") {
  ServerOptions options;
  options.engine.screened_head = false;
  TestServer full_head(options);
  REQUIRE(full_head.loaded());
  httplib::Client full = full_head.Client();
  httplib::Client screened = SharedServer().Client();
  for (json body : ConstrainedBodies()) {
    for (const bool stream : {false, true}) {
      body["stream"] = stream;
      INFO(body.dump());
      const auto text = [&](httplib::Client& client) {
        return stream ? PostStream(client, body).text
                      : Post(client, "/v1/chat/completions", body)["choices"][0]["message"]
                            ["content"].get<std::string>();
      };
      const std::string expected = text(full);
      CHECK(!expected.empty());
      CHECK(text(screened) == expected);
    }
  }
}

TEST_CASE("a JSON-constrained request is decoded with the screened head; with logprobs, not") {
  TestServer server{ServerOptions()};
  REQUIRE(server.loaded());
  httplib::Client client = server.Client();
  const auto rows = [&] {
    return std::pair{Metric(client, "bitbrain_head_screened_rows_total"),
                     Metric(client, "bitbrain_head_full_rows_total")};
  };
  for (json body : ConstrainedBodies()) {
    for (const bool logprobs : {false, true}) {
      body["logprobs"] = logprobs;
      INFO(body.dump());
      const auto [screened_before, full_before] = rows();
      const json response = Post(client, "/v1/chat/completions", body);
      const int tokens = response["usage"]["completion_tokens"];
      REQUIRE(tokens > 0);
      // One head row per generated token, the first one's from the prompt.
      const auto [screened_after, full_after] = rows();
      CHECK(screened_after - screened_before == (logprobs ? 0 : tokens));
      CHECK(full_after - full_before == (logprobs ? tokens : 0));
    }
  }
}

}  // namespace
}  // namespace bitbrain::serve
