// engine_2b4t_check: the engine against the reference on a large model (a
// generated 2B4T-shaped file), by hand: a prompt with logits at every
// position, then greedy steps, compared bit for bit, with the time each took.
// Exits 1 at the first difference.
//
//   bazel run //:bitbrain -- make-model --config 2b4t --seed 1 --out /tmp/2b4t.gguf
//   bazel run //conformance:engine_2b4t_check -- --model /tmp/2b4t.gguf --steps 8
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "conformance/engine_harness.h"
#include "engine/gguf/gguf.h"
#include "engine/runtime/engine.h"

namespace bitbrain::conformance {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int Check(const std::string& path, int prompt_tokens, int steps, int threads) {
  // <|begin_of_text|> and ordinary LLaMA-3 text tokens.
  std::vector<int32_t> prompt = PseudoRandomTokens(prompt_tokens - 1, 128000, 1);
  prompt.insert(prompt.begin(), 128000);

  auto start = std::chrono::steady_clock::now();
  const gguf::File file = gguf::File::Open(path);
  const DecodeRun expected = ReferenceGreedy(file, prompt, steps);
  std::printf("reference: %d prompt tokens + %d steps in %.1f s\n", prompt_tokens, steps,
              SecondsSince(start));

  start = std::chrono::steady_clock::now();
  runtime::Engine engine(path, {.threads = threads});
  const int vocab = engine.config().vocab_size;
  std::printf("engine (%s, %d threads): ready in %.2f s\n", kernels::IsaName(engine.isa()),
              engine.threads(), SecondsSince(start));
  // The prompt alone, and batched with a second, shorter one.
  const std::vector<int32_t> other(prompt.begin(), prompt.begin() + (prompt_tokens + 1) / 2);
  for (const Batching batching : {Batching::kAlone, Batching::kTogether}) {
    start = std::chrono::steady_clock::now();
    std::vector<std::vector<int32_t>> prompts = {prompt};
    if (batching == Batching::kTogether) prompts.push_back(other);
    const DecodeRun actual = EngineGreedy(engine, prompts, steps, batching)[0];
    const std::string difference = FirstDifference(expected, actual, prompt_tokens, vocab);
    const char* mode = batching == Batching::kTogether ? "batched with another" : "alone";
    if (!difference.empty()) {
      std::printf("engine %s: DIFFERS from the reference at %s\n", mode, difference.c_str());
      return 1;
    }
    std::printf("engine %s: %zu logits rows bit-exact to the reference (%.2f s)\n", mode,
                actual.logits.size() / vocab, SecondsSince(start));
  }
  return 0;
}

}  // namespace
}  // namespace bitbrain::conformance

int main(int argc, char** argv) {
  CLI::App app{"Compares the engine's logits with the reference's, bit for bit, on a model"};
  std::string model;
  int prompt_tokens = 4, steps = 2, threads = 0;
  app.add_option("--model", model, "GGUF model file")->required()->check(CLI::ExistingFile);
  app.add_option("--prompt-tokens", prompt_tokens, "Prompt length, <|begin_of_text|> included")
      ->capture_default_str()
      ->check(CLI::Range(2, 4096));
  app.add_option("--steps", steps, "Greedy decoding steps after the prompt")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--threads", threads, "Engine threads (0: every core)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    return bitbrain::conformance::Check(model, prompt_tokens, steps, threads);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "engine_2b4t_check: error: %s\n", e.what());
    return 1;
  }
}
