#include "serve/responses.h"

#include <cstdio>
#include <random>

namespace bitbrain::serve {

using nlohmann::json;

std::string NewCompletionId() {
  static thread_local std::mt19937_64 random(std::random_device{}());
  char hex[25];
  std::snprintf(hex, sizeof hex, "%016llx%08x", static_cast<unsigned long long>(random()),
                static_cast<unsigned>(random()));
  return std::string("chatcmpl-") + hex;
}

json UsageJson(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.prompt_tokens + usage.completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}}};
}

json LogprobsJson(const tokenizer::Tokenizer& tokenizer,
                  const std::vector<TokenLogprob>& logprobs) {
  const auto entry = [&](int32_t token, double logprob) {
    const std::string_view bytes = tokenizer.TokenBytes(token);
    json byte_values = json::array();
    for (const char byte : bytes) byte_values.push_back(static_cast<uint8_t>(byte));
    // A token may hold part of a character; Dump() writes it as U+FFFD.
    return json{{"token", std::string(bytes)}, {"logprob", logprob}, {"bytes", byte_values}};
  };
  json content = json::array();
  for (const TokenLogprob& logprob : logprobs) {
    json item = entry(logprob.token, logprob.logprob);
    item["top_logprobs"] = json::array();
    for (const auto& [token, value] : logprob.top) item["top_logprobs"].push_back(entry(token, value));
    content.push_back(std::move(item));
  }
  return {{"content", std::move(content)}, {"refusal", nullptr}};
}

json CompletionJson(const CompletionHeader& header, const std::string& text,
                    generate::FinishReason finish_reason, const Usage& usage,
                    const json& logprobs) {
  return {{"id", header.id},
          {"object", "chat.completion"},
          {"created", header.created},
          {"model", header.model},
          {"system_fingerprint", header.system_fingerprint},
          {"choices",
           {{{"index", 0},
             {"message", {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}}},
             {"logprobs", logprobs},
             {"finish_reason", generate::FinishReasonName(finish_reason)}}}},
          {"usage", UsageJson(usage)}};
}

json ChunkJson(const CompletionHeader& header, const json& delta, const json& logprobs,
               std::optional<generate::FinishReason> finish_reason, bool include_usage) {
  json chunk = {{"id", header.id},
                {"object", "chat.completion.chunk"},
                {"created", header.created},
                {"model", header.model},
                {"system_fingerprint", header.system_fingerprint},
                {"choices",
                 {{{"index", 0},
                   {"delta", delta},
                   {"logprobs", logprobs},
                   {"finish_reason", finish_reason
                                         ? json(generate::FinishReasonName(*finish_reason))
                                         : json(nullptr)}}}}};
  if (include_usage) chunk["usage"] = nullptr;
  return chunk;
}

json UsageChunkJson(const CompletionHeader& header, const Usage& usage) {
  return {{"id", header.id},
          {"object", "chat.completion.chunk"},
          {"created", header.created},
          {"model", header.model},
          {"system_fingerprint", header.system_fingerprint},
          {"choices", json::array()},
          {"usage", UsageJson(usage)}};
}

}  // namespace bitbrain::serve
