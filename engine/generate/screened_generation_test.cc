// Generation with the screened LM head equals generation with the full head,
// token for token: greedy for 256 tokens, seeded top-k and min-p sampling,
// with bias and penalties (whose tokens the sampler forces into the
// candidates), on the tiny and small synthetic models.
#include <catch2/catch.hpp>
#include <limits>
#include <string>
#include <vector>

#include "engine/chat/chat_format.h"
#include "engine/generate/generator.h"
#include "engine/gguf/gguf.h"
#include "engine/runtime/engine.h"
#include "engine/tokenizer/tokenizer.h"

namespace bitbrain::generate {
namespace {

std::vector<int32_t> Generate(const std::string& model, const GenerationOptions& options,
                              bool screened_head) {
  const tokenizer::Tokenizer tokenizer = tokenizer::Tokenizer::FromGguf(gguf::File::Open(model));
  runtime::Engine engine(model, {.threads = 2, .screened_head = screened_head});
  Generator generator(engine, tokenizer);
  runtime::Sequence sequence = engine.NewSequence();
  // Never an end token, so that every run has max_tokens tokens; the biased
  // tokens are forced into the candidates.
  GenerationOptions all_tokens = options;
  for (const int32_t end : chat::StopTokens(tokenizer)) {
    all_tokens.sampling.logit_bias[end] = -std::numeric_limits<float>::infinity();
  }
  std::vector<int32_t> prompt = {tokenizer.special().bos};
  for (const int32_t id : tokenizer.Encode("Once upon a time in a harbour town")) {
    prompt.push_back(id);
  }
  return generator.Generate(sequence, prompt, all_tokens).tokens;
}

GenerationOptions Options(int max_tokens, float temperature, int top_k, float top_p,
                          float min_p) {
  GenerationOptions options;
  options.max_tokens = max_tokens;
  options.sampling = {.temperature = temperature, .top_k = top_k, .top_p = top_p, .min_p = min_p,
                      .logit_bias = {}, .seed = 42};
  return options;
}

void CheckSame(const std::string& model, const GenerationOptions& options) {
  const std::vector<int32_t> full = Generate(model, options, false);
  const std::vector<int32_t> screened = Generate(model, options, true);
  REQUIRE(full.size() == static_cast<size_t>(options.max_tokens));
  CHECK(screened == full);
}

const char* const kModels[] = {"engine/synthetic/tiny.gguf", "engine/synthetic/small.gguf"};

TEST_CASE("greedy: 256 tokens identical with and without the screened head") {
  for (const char* model : kModels) {
    INFO(model);
    CheckSame(model, Options(256, 0, 40, 0.95f, 0.05f));
  }
}

TEST_CASE("seeded top-k (with top-p and min-p after it) identical") {
  for (const char* model : kModels) {
    INFO(model);
    CheckSame(model, Options(48, 1.0f, 40, 0.95f, 0.05f));
    CheckSame(model, Options(48, 0.7f, 5, 1.0f, 0.0f));
  }
}

TEST_CASE("seeded min-p without top-k and top-p identical") {
  for (const char* model : kModels) {
    INFO(model);
    CheckSame(model, Options(48, 1.0f, 0, 1.0f, 0.02f));
  }
}

TEST_CASE("bias and penalties: their tokens are forced into the candidates") {
  for (const char* model : kModels) {
    INFO(model);
    GenerationOptions options = Options(48, 0, 40, 0.95f, 0.05f);
    options.sampling.repeat_penalty = 1.3f;
    options.sampling.frequency_penalty = 0.5f;
    options.sampling.presence_penalty = 0.25f;
    options.sampling.logit_bias = {{7, 2.0f}, {100, -3.0f}, {500, 50.0f}};
    CheckSame(model, options);
    options.sampling.temperature = 0.9f;
    options.sampling.logit_bias = {{7, 0.5f}};
    CheckSame(model, options);
  }
}

}  // namespace
}  // namespace bitbrain::generate
