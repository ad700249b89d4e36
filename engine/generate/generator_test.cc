// The generation loop on the tiny synthetic model: determinism (runs,
// threads), limits, stop strings and prompt reuse.
#include "engine/generate/generator.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/chat/chat_format.h"
#include "engine/gguf/gguf.h"
#include "engine/runtime/engine.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace bitbrain::generate {
namespace {

constexpr const char* kTinyModel = "engine/synthetic/tiny.gguf";

const tokenizer::Tokenizer& Tiny() {
  static const tokenizer::Tokenizer tokenizer =
      tokenizer::Tokenizer::FromGguf(gguf::File::Open(kTinyModel));
  return tokenizer;
}

std::vector<int32_t> Prompt(std::string_view text) {
  std::vector<int32_t> ids = {Tiny().special().bos};
  const std::vector<int32_t> text_ids = Tiny().Encode(text);
  ids.insert(ids.end(), text_ids.begin(), text_ids.end());
  return ids;
}

// Options that never stop early on an end token, so runs have a known length.
GenerationOptions Options(int max_tokens, float temperature, uint64_t seed = 0) {
  GenerationOptions options;
  options.max_tokens = max_tokens;
  options.sampling.temperature = temperature;
  options.sampling.seed = seed;
  for (const int32_t end : chat::StopTokens(Tiny())) {
    options.sampling.logit_bias[end] = -std::numeric_limits<float>::infinity();
  }
  return options;
}

GenerationResult Generate(const GenerationOptions& options, int threads = 1,
                          const std::string& prompt = "The harbour town",
                          std::vector<std::string>* pieces = nullptr) {
  runtime::Engine engine(kTinyModel, {.threads = threads});
  Generator generator(engine, Tiny());
  runtime::Sequence sequence = engine.NewSequence();
  return generator.Generate(sequence, Prompt(prompt), options, [&](std::string_view text) {
    if (pieces) pieces->emplace_back(text);
  });
}

TEST_CASE("greedy generation is deterministic and streams the decoded text") {
  std::vector<std::string> pieces;
  const GenerationResult first = Generate(Options(40, 0), 1, "The harbour town", &pieces);
  const GenerationResult second = Generate(Options(40, 0));
  CHECK(first.tokens.size() == 40);
  CHECK(first.tokens == second.tokens);
  CHECK(first.text == Tiny().Decode(first.tokens));
  CHECK(first.finish_reason == FinishReason::kLength);
  std::string streamed;
  for (const std::string& piece : pieces) {
    CHECK(tokenizer::IsValidUtf8(piece));
    streamed += piece;
  }
  CHECK(streamed == first.text);
  CHECK(first.stats.prompt_tokens == static_cast<int>(Prompt("The harbour town").size()));
  CHECK(first.stats.generated_tokens == 40);
}

TEST_CASE("seeded sampling gives the same text across runs and thread counts") {
  const GenerationResult one_thread = Generate(Options(48, 1.0f, 1234), 1);
  const GenerationResult again = Generate(Options(48, 1.0f, 1234), 1);
  const GenerationResult two_threads = Generate(Options(48, 1.0f, 1234), 2);
  CHECK(one_thread.tokens == again.tokens);
  CHECK(one_thread.tokens == two_threads.tokens);
  CHECK(one_thread.text == two_threads.text);
  CHECK(Generate(Options(48, 1.0f, 1235), 1).tokens != one_thread.tokens);
}

TEST_CASE("a stop string ends the text before it and never leaks") {
  const GenerationResult free_run = Generate(Options(48, 0));
  REQUIRE(free_run.text.size() > 20);
  for (const size_t at : {size_t{5}, size_t{12}, free_run.text.size() - 3}) {
    const std::string stop = free_run.text.substr(at, 3);
    GenerationOptions options = Options(48, 0);
    options.stop_strings = {stop};
    std::vector<std::string> pieces;
    const GenerationResult stopped = Generate(options, 1, "The harbour town", &pieces);
    CHECK(stopped.text == free_run.text.substr(0, free_run.text.find(stop)));
    CHECK(stopped.finish_reason == FinishReason::kStop);
    std::string streamed;
    for (const std::string& piece : pieces) streamed += piece;
    CHECK(streamed == stopped.text);
  }
}

TEST_CASE("max tokens and a full context finish with length") {
  CHECK(Generate(Options(0, 0)).tokens.empty());
  CHECK(Generate(Options(3, 0)).finish_reason == FinishReason::kLength);

  runtime::Engine engine(kTinyModel, {.threads = 1, .context_length = 16});
  Generator generator(engine, Tiny());
  runtime::Sequence sequence = engine.NewSequence();
  const std::vector<int32_t> prompt = Prompt("The harbour");  // a few tokens
  REQUIRE(prompt.size() < 16);
  const GenerationResult result = generator.Generate(sequence, prompt, Options(-1, 0));
  CHECK(result.finish_reason == FinishReason::kLength);
  // The context holds 16 tokens; the last one sampled is never fed.
  CHECK(result.tokens.size() == 16 - prompt.size() + 1);
  CHECK(sequence.position() == 16);

  runtime::Sequence fresh = engine.NewSequence();
  CHECK_THROWS_AS(generator.Generate(fresh, std::vector<int32_t>(17, 1), Options(1, 0)),
                  std::invalid_argument);
  CHECK_THROWS_AS(generator.Generate(fresh, std::vector<int32_t>{}, Options(1, 0)),
                  std::invalid_argument);
}

TEST_CASE("a sequence holding part of the prompt continues as a fresh one would") {
  runtime::Engine engine(kTinyModel, {.threads = 1});
  Generator generator(engine, Tiny());
  const std::vector<chat::Message> turn1 = {{chat::Role::kUser, "Hello there"}};
  runtime::Sequence reused = engine.NewSequence();
  const GenerationResult reply = generator.Generate(reused, chat::EncodeChat(Tiny(), turn1),
                                                    Options(8, 0));
  std::vector<chat::Message> turn2 = turn1;
  turn2.push_back({chat::Role::kAssistant, reply.text});
  turn2.push_back({chat::Role::kUser, "And then?"});
  const std::vector<int32_t> prompt2 = chat::EncodeChat(Tiny(), turn2);
  // Keep only the positions that match the new prompt.
  const std::vector<int32_t> held = [&] {
    std::vector<int32_t> tokens = chat::EncodeChat(Tiny(), turn1);
    tokens.insert(tokens.end(), reply.tokens.begin(), reply.tokens.end() - 1);
    return tokens;
  }();
  const size_t common = CommonPrefixLength(held, prompt2);
  reused.Truncate(static_cast<int>(common));
  const GenerationResult continued = generator.Generate(reused, prompt2, Options(16, 0));
  CHECK(continued.stats.prompt_tokens == static_cast<int>(prompt2.size() - common));

  runtime::Sequence fresh = engine.NewSequence();
  CHECK(generator.Generate(fresh, prompt2, Options(16, 0)).tokens == continued.tokens);
}

}  // namespace
}  // namespace bitbrain::generate
