// screened_head_check: greedy decoding with the screened head against the
// full head on a large model (a generated 2B4T-shaped file), by hand: the
// same tokens, step by step, and every candidate's logit bit for bit equal to
// the full head's. Exits 1 at the first difference.
//
//   bazel run //conformance:screened_head_check -- --model models/synthetic-2b4t-seed1-v1.gguf --steps 256
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "conformance/engine_harness.h"
#include "engine/runtime/engine.h"

namespace bitbrain::conformance {
namespace {

int Check(const std::string& path, int prompt_tokens, int steps, int threads) {
  std::vector<int32_t> prompt = PseudoRandomTokens(prompt_tokens - 1, 128000, 1);
  prompt.insert(prompt.begin(), 128000);  // <|begin_of_text|>
  runtime::Engine full(path, {.threads = threads, .screened_head = false});
  runtime::Engine screened(path, {.threads = threads});
  const int vocab = full.config().vocab_size;
  runtime::Sequence full_sequence = full.NewSequence();
  runtime::Sequence screened_sequence = screened.NewSequence();
  std::vector<float> logits(vocab);
  runtime::CandidateLogits candidates;
  const runtime::CandidateQuery greedy = {.k = 1};
  std::vector<int32_t> tokens = prompt;
  std::vector<size_t> counts;
  for (int step = 0; step < steps; ++step) {
    full.Forward(full_sequence, tokens, logits);
    screened.Forward(screened_sequence, tokens, greedy, candidates);
    const int32_t expected =
        static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    const int32_t actual =
        candidates.ids[std::max_element(candidates.logits.begin(), candidates.logits.end()) -
                       candidates.logits.begin()];
    for (size_t i = 0; i < candidates.ids.size(); ++i) {
      if (std::memcmp(&candidates.logits[i], &logits[candidates.ids[i]], sizeof(float)) != 0) {
        std::printf("step %d: row %d's logit DIFFERS from the full head's\n", step,
                    candidates.ids[i]);
        return 1;
      }
    }
    if (actual != expected) {
      std::printf("step %d: token %d, the full head's is %d: DIFFERS\n", step, actual, expected);
      return 1;
    }
    counts.push_back(candidates.ids.size());
    tokens = {expected};
  }
  std::sort(counts.begin(), counts.end());
  std::printf("%d greedy steps identical with and without the screened head; candidates per "
              "step median %zu, max %zu of %d\n",
              steps, counts[counts.size() / 2], counts.back(), vocab);
  return 0;
}

}  // namespace
}  // namespace bitbrain::conformance

int main(int argc, char** argv) {
  CLI::App app{"Greedy decoding with the screened head against the full head, bit for bit"};
  std::string model;
  int prompt_tokens = 16, steps = 256, threads = 0;
  app.add_option("--model", model, "GGUF model file")->required()->check(CLI::ExistingFile);
  app.add_option("--prompt-tokens", prompt_tokens, "Prompt length, <|begin_of_text|> included")
      ->capture_default_str()
      ->check(CLI::Range(2, 4096));
  app.add_option("--steps", steps, "Greedy decoding steps")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "Engine threads (0: every core)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return bitbrain::conformance::Check(model, prompt_tokens, steps, threads);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "screened_head_check: error: %s\n", e.what());
    return 1;
  }
}
