// The engine's logits equal the reference forward pass's bit for bit, and so
// do its greedy generations, for every kernel variant, thread count, prefill
// chunk size, and with the sequence alone or batched with others
// (issue 5, section 5). The full matrix runs on the tiny model; the small
// model, whose 128256-row head makes every token costly, runs a subset.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "conformance/engine_harness.h"
#include "engine/gguf/gguf.h"
#include "engine/runtime/engine.h"
#include "kernels/isa.h"
#include "kernels/tuning.h"

namespace bitbrain::conformance {
namespace {

constexpr int kSteps = 64;  // greedy tokens after each prompt

struct Case {
  kernels::Isa isa;
  int threads;
  int chunk;  // prefill chunk size
  Batching batching;
  int tasks_per_thread = kernels::kDefaultTasksPerThread;  // of every product split
};

std::string Describe(const Case& c) {
  return std::string(kernels::IsaName(c.isa)) + ", " + std::to_string(c.threads) +
         " threads, chunk " + std::to_string(c.chunk) +
         (c.batching == Batching::kTogether ? ", batched" : ", alone") + ", " +
         std::to_string(c.tasks_per_thread) + " tasks per thread";
}

// A tuning that splits every product of the model into tasks_per_thread
// tasks per thread.
kernels::Tuning UniformTuning(const ModelConfig& config, int threads,
                              int tasks_per_thread) {
  kernels::Tuning tuning;
  tuning.cpu = "test";
  for (const kernels::SplitKey& key : runtime::ParallelSplits(config, threads)) {
    tuning.tasks_per_thread[key] = tasks_per_thread;
  }
  return tuning;
}

// Runs the engine in each case and compares every prompt's run with the reference's.
void CheckCases(const std::string& path, const std::vector<std::vector<int32_t>>& prompts,
                const std::vector<Case>& cases) {
  const gguf::File file = gguf::File::Open(path);
  std::vector<DecodeRun> expected;
  for (const std::vector<int32_t>& prompt : prompts)
    expected.push_back(ReferenceGreedy(file, prompt, kSteps));
  for (const Case& c : cases) {
    runtime::Engine engine(path, {.threads = c.threads, .prefill_chunk = c.chunk, .isa = c.isa});
    engine.set_tuning(UniformTuning(engine.config(), c.threads, c.tasks_per_thread));
    const std::vector<DecodeRun> actual = EngineGreedy(engine, prompts, kSteps, c.batching);
    const int vocab = engine.config().vocab_size;
    for (size_t i = 0; i < prompts.size(); ++i) {
      INFO(Describe(c) << ", prompt " << i << " of " << prompts[i].size() << " tokens");
      CHECK(FirstDifference(expected[i], actual[i], static_cast<int>(prompts[i].size()), vocab) ==
            "");
    }
  }
}

TEST_CASE("tiny model: every variant, thread count, chunk size and batching") {
  const std::string path = "engine/synthetic/tiny.gguf";
  const int vocab = runtime::Engine(path, {.threads = 1}).config().vocab_size;
  const std::vector<std::vector<int32_t>> prompts = {PseudoRandomTokens(70, vocab, 1),
                                                     PseudoRandomTokens(23, vocab, 2),
                                                     PseudoRandomTokens(5, vocab, 3)};
  const int whole = 70;  // the longest prompt in one chunk
  std::vector<Case> cases;
  for (const kernels::Isa isa : kernels::SupportedIsas()) {
    for (const int threads : {1, 2, 3}) {
      for (const int chunk : {1, 7, 64, whole}) {
        for (const Batching batching : {Batching::kAlone, Batching::kTogether}) {
          cases.push_back({isa, threads, chunk, batching});
        }
      }
    }
  }
  CheckCases(path, prompts, cases);
}

TEST_CASE("tiny model: tuned splits give the same bits") {
  const std::string path = "engine/synthetic/tiny.gguf";
  const int vocab = runtime::Engine(path, {.threads = 1}).config().vocab_size;
  const std::vector<std::vector<int32_t>> prompts = {PseudoRandomTokens(40, vocab, 6),
                                                     PseudoRandomTokens(9, vocab, 7)};
  std::vector<Case> cases;
  for (const kernels::Isa isa : kernels::SupportedIsas()) {
    for (const int threads : {2, 3}) {
      for (const int tasks_per_thread : {1, 3, 16}) {
        cases.push_back({isa, threads, 16, Batching::kTogether, tasks_per_thread});
      }
    }
  }
  CheckCases(path, prompts, cases);
}

TEST_CASE("small model: a subset covering every thread count, chunk size and batching") {
  const std::string path = "engine/synthetic/small.gguf";
  // <|begin_of_text|> and ordinary LLaMA-3 text tokens.
  std::vector<std::vector<int32_t>> prompts = {PseudoRandomTokens(20, 128000, 4),
                                               PseudoRandomTokens(9, 128000, 5)};
  for (std::vector<int32_t>& prompt : prompts) prompt.insert(prompt.begin(), 128000);
  const int whole = 21;
  std::vector<Case> cases;
  // The SIMD variants only: the scalar kernels, which define the others'
  // results, take minutes over this head; the tiny model covers them.
  for (const kernels::Isa isa : kernels::SupportedIsas()) {
    if (isa == kernels::Isa::kScalar) continue;
    cases.push_back({isa, 1, whole, Batching::kAlone});
    cases.push_back({isa, 2, 7, Batching::kTogether});
    cases.push_back({isa, 3, 1, Batching::kTogether});
    cases.push_back({isa, 2, 64, Batching::kAlone});
  }
  CheckCases(path, prompts, cases);
}

}  // namespace
}  // namespace bitbrain::conformance
