#include "serve/chat_request.h"

#include <random>

#include "serve/api_error.h"
#include "serve/json_fields.h"

namespace bitbrain::serve {
namespace {

using nlohmann::json;

// A message's content: a string, or an array of text parts joined by
// newlines (as llama-server joins them). null only for an assistant turn
// (one that called tools).
std::string ParseContent(const json& message, const std::string& where, chat::Role role) {
  const json* content = FindField(message, "content");
  const std::string param = where + ".content";
  if (!content) {
    if (role == chat::Role::kAssistant) return "";
    throw InvalidField(param, "'" + param + "' is required");
  }
  if (content->is_string()) return content->get<std::string>();
  if (!content->is_array()) {
    throw InvalidField(param, "'" + param + "' must be a string or an array of text parts");
  }
  std::string text;
  for (size_t i = 0; i < content->size(); ++i) {
    const json& part = (*content)[i];
    const std::string part_param = param + "[" + std::to_string(i) + "]";
    if (!part.is_object()) throw InvalidField(part_param, "'" + part_param + "' must be an object");
    const std::optional<std::string> type = StringField(part, "type");
    if (type != "text") {
      throw InvalidField(part_param + ".type", "content parts of type '" + type.value_or("") +
                                                   "' are not supported: this model reads text "
                                                   "only (type 'text')");
    }
    const json* part_text = FindField(part, "text");
    if (!part_text || !part_text->is_string()) {
      throw InvalidField(part_param + ".text", "'" + part_param + ".text' must be a string");
    }
    if (i > 0) text += '\n';
    text += part_text->get<std::string>();
  }
  return text;
}

std::vector<chat::Message> ParseMessages(const json& body) {
  const json* messages = FindField(body, "messages");
  if (!messages) throw InvalidField("messages", "'messages' is required");
  if (!messages->is_array()) throw InvalidField("messages", "'messages' must be an array");
  if (messages->empty()) throw InvalidField("messages", "'messages' must not be empty");
  std::vector<chat::Message> parsed;
  for (size_t i = 0; i < messages->size(); ++i) {
    const json& message = (*messages)[i];
    const std::string where = "messages[" + std::to_string(i) + "]";
    if (!message.is_object()) throw InvalidField(where, "'" + where + "' must be an object");
    const json* role_field = FindField(message, "role");
    if (!role_field || !role_field->is_string()) {
      throw InvalidField(where + ".role", "'" + where + ".role' must be a string");
    }
    const std::string role_name = role_field->get<std::string>();
    chat::Role role;
    if (role_name == "tool") {
      // The 2B4T format has no tool turn: a tool's result reads as user text.
      role = chat::Role::kUser;
    } else {
      try {
        role = chat::ParseRole(role_name);
      } catch (const chat::ChatError&) {
        throw InvalidField(where + ".role", "unknown role '" + role_name +
                                                "' (system, developer, user, assistant, tool)");
      }
    }
    parsed.push_back({role, ParseContent(message, where, role)});
  }
  return parsed;
}

std::vector<std::string> ParseStop(const json& body) {
  const json* stop = FindField(body, "stop");
  if (!stop) return {};
  if (stop->is_string()) return {stop->get<std::string>()};
  if (!stop->is_array() || stop->size() > 4) {
    throw InvalidField("stop", "'stop' must be a string or an array of up to 4 strings");
  }
  std::vector<std::string> strings;
  for (const json& item : *stop) {
    if (!item.is_string()) throw InvalidField("stop", "'stop' must hold strings only");
    strings.push_back(item.get<std::string>());
  }
  return strings;
}

std::map<int32_t, float> ParseLogitBias(const json& body, int vocab_size) {
  const json* bias = FindField(body, "logit_bias");
  if (!bias) return {};
  if (!bias->is_object()) {
    throw InvalidField("logit_bias", "'logit_bias' must be an object of token id -> bias");
  }
  std::map<int32_t, float> parsed;
  for (const auto& [key, value] : bias->items()) {
    size_t used = 0;
    long id = -1;
    try {
      id = std::stol(key, &used);
    } catch (const std::exception&) {
    }
    if (used != key.size() || id < 0 || id >= vocab_size) {
      throw InvalidField("logit_bias", "'logit_bias' key '" + key + "' is not a token id in [0, " +
                                           std::to_string(vocab_size) + ")");
    }
    if (!value.is_number() || !(value.get<double>() >= -100 && value.get<double>() <= 100)) {
      throw InvalidField("logit_bias", "'logit_bias' values must be numbers in [-100, 100]");
    }
    parsed[static_cast<int32_t>(id)] = value.get<float>();
  }
  return parsed;
}

// The schema the reply must follow, or null for text. `text` is the body
// again: a json_schema's schema is read from it as ordered_json, since its
// properties are generated in their order and nlohmann::json sorts them.
std::shared_ptr<const generate::JsonSchema> ParseResponseFormat(const json& body,
                                                                const std::string& text) {
  const json* format = FindField(body, "response_format");
  if (!format) return nullptr;
  if (!format->is_object()) {
    throw InvalidField("response_format", "'response_format' must be an object");
  }
  const json* type_field = FindField(*format, "type");
  const std::string type = type_field && type_field->is_string() ? type_field->get<std::string>() : "";
  if (type == "text") return nullptr;
  if (type == "json_object") {
    return std::make_shared<const generate::JsonSchema>(generate::JsonSchema::AnyObject());
  }
  if (type != "json_schema") {
    throw InvalidField("response_format.type",
                       "'response_format.type' must be 'text', 'json_object' or 'json_schema'");
  }
  const json* json_schema = FindField(*format, "json_schema");
  if (!json_schema || !json_schema->is_object()) {
    throw InvalidField("response_format.json_schema",
                       "'response_format.json_schema' must be an object with the 'schema'");
  }
  const auto field = [&](const char* name) { return FindField(*json_schema, name); };
  const std::string where = "response_format.json_schema";
  if (const json* name = field("name"); name && !name->is_string()) {
    throw InvalidField(where + ".name", "'" + where + ".name' must be a string");
  }
  const json* strict = field("strict");
  if (strict && !strict->is_boolean()) {
    throw InvalidField(where + ".strict", "'" + where + ".strict' must be a boolean");
  }
  // Without a schema, any JSON value.
  const nlohmann::ordered_json schema =
      field("schema") ? nlohmann::ordered_json::parse(text)["response_format"]["json_schema"]["schema"]
                      : nlohmann::ordered_json::object();
  try {
    return std::make_shared<const generate::JsonSchema>(
        generate::JsonSchema::Compile(schema, strict && strict->get<bool>()));
  } catch (const generate::SchemaError& error) {
    const std::string param = where + ".schema" + (error.path().empty() ? "" : "." + error.path());
    throw InvalidField(param, where + ".schema: " + error.what());
  }
}

}  // namespace

ChatRequest ParseChatRequest(const std::string& text, int vocab_size) {
  const json body = ParseJsonObject(text);
  ChatRequest request;
  const std::optional<std::string> model = StringField(body, "model");
  if (!model) throw InvalidField("model", "'model' is required");
  request.model = *model;
  request.messages = ParseMessages(body);

  if (IntegerField(body, "n", 1, INT32_MAX).value_or(1) != 1) {
    throw InvalidField("n", "'n' must be 1: this server returns one choice per request");
  }
  const std::optional<int64_t> max_completion_tokens =
      IntegerField(body, "max_completion_tokens", 1, INT32_MAX);
  const std::optional<int64_t> max_tokens = IntegerField(body, "max_tokens", 1, INT32_MAX);
  request.max_tokens = static_cast<int>(max_completion_tokens.value_or(max_tokens.value_or(-1)));

  generate::SamplingParams& sampling = request.sampling;
  sampling.temperature = static_cast<float>(
      NumberField(body, "temperature", 0, 2).value_or(sampling.temperature));
  sampling.top_p = static_cast<float>(NumberField(body, "top_p", 0, 1).value_or(sampling.top_p));
  sampling.top_k = static_cast<int>(IntegerField(body, "top_k", 0, INT32_MAX).value_or(sampling.top_k));
  sampling.min_p = static_cast<float>(NumberField(body, "min_p", 0, 1).value_or(sampling.min_p));
  sampling.presence_penalty = static_cast<float>(
      NumberField(body, "presence_penalty", -2, 2).value_or(sampling.presence_penalty));
  sampling.frequency_penalty = static_cast<float>(
      NumberField(body, "frequency_penalty", -2, 2).value_or(sampling.frequency_penalty));
  const std::optional<double> repeat_penalty = NumberField(body, "repeat_penalty", 0, 10);
  if (repeat_penalty == 0.0) throw InvalidField("repeat_penalty", "'repeat_penalty' must be > 0");
  sampling.repeat_penalty = static_cast<float>(repeat_penalty.value_or(sampling.repeat_penalty));
  sampling.logit_bias = ParseLogitBias(body, vocab_size);
  const std::optional<int64_t> seed = IntegerField(body, "seed", INT64_MIN, INT64_MAX);
  sampling.seed = seed ? static_cast<uint64_t>(*seed)
                       : (static_cast<uint64_t>(std::random_device()()) << 32) |
                             std::random_device()();

  request.stop = ParseStop(body);
  request.stream = BoolField(body, "stream").value_or(false);
  if (const json* options = FindField(body, "stream_options")) {
    if (!options->is_object()) {
      throw InvalidField("stream_options", "'stream_options' must be an object");
    }
    request.include_usage = BoolField(*options, "include_usage").value_or(false);
  }
  request.logprobs = BoolField(body, "logprobs").value_or(false);
  const std::optional<int64_t> top_logprobs = IntegerField(body, "top_logprobs", 0, 20);
  if (top_logprobs && !request.logprobs) {
    throw InvalidField("top_logprobs", "'top_logprobs' requires 'logprobs': true");
  }
  request.top_logprobs = static_cast<int>(top_logprobs.value_or(0));
  request.json_schema = ParseResponseFormat(body, text);
  StringField(body, "user");  // accepted and ignored, but it must be a string
  return request;
}

}  // namespace bitbrain::serve
