// The generation loop for one sequence: feed the prompt, then sample, stream
// and feed one token at a time until an end token, a stop string, the token
// limit or a full context.
//
//   runtime::Engine engine(path, {.threads = 2});
//   tokenizer::Tokenizer tokenizer = tokenizer::Tokenizer::FromGguf(file);
//   Generator generator(engine, tokenizer);
//   runtime::Sequence sequence = engine.NewSequence();
//   GenerationResult result = generator.Generate(sequence, prompt_ids, options,
//       [](std::string_view text) { std::cout << text << std::flush; });
//
// The per-sequence pieces (Sampler, tokenizer::StreamDecoder, StopStrings)
// are separate classes so that a server stepping many sequences together
// can use them the same way.
#ifndef BITBRAIN_ENGINE_GENERATE_GENERATOR_H_
#define BITBRAIN_ENGINE_GENERATE_GENERATOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/generate/sampler.h"
#include "engine/runtime/engine.h"
#include "engine/tokenizer/tokenizer.h"

namespace bitbrain::generate {

struct GenerationOptions {
  int max_tokens = 256;  // tokens to generate at most; < 0: until the context is full
  std::vector<std::string> stop_strings;
  SamplingParams sampling;
};

enum class FinishReason {
  kStop,    // an end token or a stop string
  kLength,  // max_tokens, or the context is full
};
// "stop", "length", as the OpenAI API names them.
const char* FinishReasonName(FinishReason reason);

struct GenerationStats {
  int prompt_tokens = 0;        // fed in the prefill (not those the sequence already held)
  double prompt_seconds = 0;    // the prefill's forward pass
  int generated_tokens = 0;     // sampled, the end token included
  double generation_seconds = 0;  // from the first token sampled to the last
  double time_to_first_token_seconds = 0;  // from the call to the first token sampled

  double prompt_tokens_per_second() const;
  // Tokens after the first per second of generation_seconds.
  double generation_tokens_per_second() const;
};

struct GenerationResult {
  std::string text;              // everything streamed, no end token or stop string
  std::vector<int32_t> tokens;   // every generated token, the end token included
  FinishReason finish_reason = FinishReason::kLength;
  GenerationStats stats;
};

// How many leading tokens `a` and `b` share: the positions of a sequence
// holding `a` that can be kept (Sequence::Truncate) to continue with `b`.
size_t CommonPrefixLength(std::span<const int32_t> a, std::span<const int32_t> b);

class Generator {
 public:
  // Both must outlive the generator.
  Generator(runtime::Engine& engine, const tokenizer::Tokenizer& tokenizer);

  // Continues `sequence` with `prompt`. The sequence may already hold a
  // prefix of the prompt (a previous turn of a chat): only the rest is fed.
  // `on_text` receives the text as it is generated, in pieces of complete
  // UTF-8 characters. Throws std::invalid_argument for an empty prompt or
  // one that does not fit in the context.
  //
  // Afterwards the sequence holds the prompt and the generated tokens except
  // the last one (which was never fed).
  GenerationResult Generate(runtime::Sequence& sequence, std::span<const int32_t> prompt,
                            const GenerationOptions& options,
                            const std::function<void(std::string_view)>& on_text = {});

 private:
  runtime::Engine& engine_;
  const tokenizer::Tokenizer& tokenizer_;
  std::vector<int32_t> end_tokens_;  // end of text, end of turn
};

}  // namespace bitbrain::generate

#endif  // BITBRAIN_ENGINE_GENERATE_GENERATOR_H_
