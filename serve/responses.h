// The JSON shapes of chat completion answers (serving.md section 3):
// the non-streamed chat.completion and the streamed chat.completion.chunk.
#ifndef BITBRAIN_SERVE_RESPONSES_H_
#define BITBRAIN_SERVE_RESPONSES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/generate/generator.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/job.h"

namespace bitbrain::serve {

// What every answer to one request repeats.
struct CompletionHeader {
  std::string id;  // "chatcmpl-..."
  int64_t created = 0;
  std::string model;
  std::string system_fingerprint;
};

// A fresh "chatcmpl-<random hex>" id.
std::string NewCompletionId();

nlohmann::json UsageJson(const Usage& usage);

// {"content": [{"token", "logprob", "bytes", "top_logprobs"}...], "refusal": null}
nlohmann::json LogprobsJson(const tokenizer::Tokenizer& tokenizer,
                            const std::vector<TokenLogprob>& logprobs);

nlohmann::json CompletionJson(const CompletionHeader& header, const std::string& text,
                              generate::FinishReason finish_reason, const Usage& usage,
                              const nlohmann::json& logprobs);

// One chunk of a stream. `usage` is null in every chunk but the last when
// the client asked for usage, and absent otherwise.
nlohmann::json ChunkJson(const CompletionHeader& header, const nlohmann::json& delta,
                         const nlohmann::json& logprobs,
                         std::optional<generate::FinishReason> finish_reason, bool include_usage);

// The final usage chunk: "choices": [] and the usage.
nlohmann::json UsageChunkJson(const CompletionHeader& header, const Usage& usage);

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_RESPONSES_H_
