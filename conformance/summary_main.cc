// conformance_summary: a fast pass over the bit-exactness checks, printed as
// one JSON object per line for the report (reports/): every kernel variant
// against the scalar truth on the 2B4T shapes (ternary matmul, LM head), and
// the engine against the reference on a model (the tiny one in the report)
// for every variant x thread count x prefill chunk x batching x tuning. The
// full suites are the //conformance tests; this is their summary table.
//
//   conformance_summary --model engine/synthetic/tiny.gguf
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "conformance/engine_harness.h"
#include "conformance/float_harness.h"
#include "conformance/ternary_harness.h"
#include "engine/gguf/gguf.h"
#include "engine/runtime/engine.h"
#include "kernels/isa.h"
#include "kernels/tuning.h"

namespace bitbrain::conformance {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + "\"";
}

// One line of the table: `difference` is "" when bit-exact.
void Report(const std::string& check, const char* variant, const std::string& configuration,
            const std::string& difference) {
  std::printf("{\"check\": %s, \"variant\": %s, \"configuration\": %s, \"bit_exact\": %s, \"difference\": %s}\n",
              JsonString(check).c_str(), JsonString(variant).c_str(), JsonString(configuration).c_str(),
              difference.empty() ? "true" : "false", JsonString(difference).c_str());
  std::fflush(stdout);
}

void CheckTernaryMatmul() {
  const std::vector<TernaryVariant> variants = RunnableTernaryVariants();
  const TernaryVariant& truth_variant = variants.front();  // scalar, 2-bit
  uint32_t seed = 1;
  for (const auto& [rows, cols] : {std::pair{2560, 2560}, std::pair{640, 2560}, std::pair{6912, 2560}, std::pair{2560, 6912}}) {
    const TernaryWeights w = MakeWeights(rows, cols, WeightFill::kRandom, ++seed);
    for (const int tokens : {1, 11}) {
      const std::vector<float> x = RandomActivations(tokens, cols, ++seed);
      const std::vector<float> truth =
          RunTernaryMatmul(truth_variant, Pool(1), w, PackFor(truth_variant, w), x, tokens);
      if (tokens == 1) {
        Report("ternary_matmul", "scalar",
               "spec " + std::to_string(rows) + "x" + std::to_string(cols),
               FirstDifference(truth, SpecTernaryMatmul(w, x, tokens), rows, NanBits::kAny));
      }
      for (const TernaryVariant& v : variants) {
        const std::vector<uint8_t> packed = PackFor(v, w);
        std::string difference;
        for (const int threads : {1, 2, 3}) {
          if (difference.empty()) {
            difference = FirstDifference(RunTernaryMatmul(v, Pool(threads), w, packed, x, tokens), truth, rows);
          }
        }
        Report("ternary_matmul", v.Name().c_str(),
               std::to_string(rows) + "x" + std::to_string(cols) + ", " + std::to_string(tokens) +
                   " tokens, 1-3 threads",
               difference);
      }
    }
  }
}

void CheckHeadMatmul() {
  const kernels::Kernels& scalar = kernels::KernelsFor(kernels::Isa::kScalar);
  const int rows = 4099, cols = 2560;  // a slice of the 2B4T head, odd row count
  const std::vector<uint16_t> embeddings = RandomF16(size_t{rows} * cols, 1, -10, -1);
  for (const int tokens : {1, 5}) {
    const std::vector<float> hn = RandomF16Floats(size_t{cols} * tokens, 2, -6, 3);
    const std::vector<float> truth = RunHeadMatmul(scalar, Pool(1), embeddings, rows, cols, hn.data(), tokens);
    for (const kernels::Kernels* k : RunnableVariants()) {
      std::string difference;
      for (const int threads : {1, 2, 3}) {
        if (difference.empty()) {
          difference = FirstDifference(RunHeadMatmul(*k, Pool(threads), embeddings, rows, cols, hn.data(), tokens),
                                       truth, rows, NanBits::kAny);
        }
      }
      Report("head_matmul", kernels::IsaName(k->isa),
             std::to_string(rows) + "x" + std::to_string(cols) + ", " + std::to_string(tokens) +
                 " tokens, 1-3 threads",
             difference);
    }
  }
}

void CheckEngine(const std::string& model) {
  constexpr int kSteps = 16;
  const gguf::File file = gguf::File::Open(model);
  const int vocab = runtime::Engine(model, {.threads = 1}).config().vocab_size;
  const std::vector<std::vector<int32_t>> prompts = {PseudoRandomTokens(37, vocab, 1),
                                                     PseudoRandomTokens(6, vocab, 2)};
  std::vector<DecodeRun> expected;
  for (const std::vector<int32_t>& prompt : prompts) expected.push_back(ReferenceGreedy(file, prompt, kSteps));
  // One engine configuration against the reference.
  const auto check = [&](const runtime::EngineOptions& options, Batching batching,
                         int tasks_per_thread) {
    runtime::Engine engine(model, options);
    if (tasks_per_thread > 0) {  // else the built-in split
      kernels::Tuning tuning;
      tuning.cpu = "summary";
      for (const kernels::SplitKey& key : runtime::ParallelSplits(engine.config(), options.threads)) {
        tuning.tasks_per_thread[key] = tasks_per_thread;
      }
      engine.set_tuning(tuning);
    }
    const std::vector<DecodeRun> actual = EngineGreedy(engine, prompts, kSteps, batching);
    std::string difference;
    for (size_t i = 0; i < prompts.size() && difference.empty(); ++i) {
      difference = FirstDifference(expected[i], actual[i], static_cast<int>(prompts[i].size()), vocab);
    }
    Report("engine_vs_reference", kernels::IsaName(*options.isa),
           std::to_string(options.threads) + " threads, chunk " + std::to_string(options.prefill_chunk) +
               (batching == Batching::kTogether ? ", batched" : ", alone") +
               (tasks_per_thread > 0 ? ", " + std::to_string(tasks_per_thread) + " tasks/thread"
                                     : ", built-in split") +
               (options.compact_weights ? ", compact weights" : ", 2-bit weights"),
           difference);
  };
  for (const kernels::Isa isa : kernels::SupportedIsas()) {
    for (const int threads : {1, 2, 3}) {
      for (const int chunk : {1, 64}) {
        for (const Batching batching : {Batching::kAlone, Batching::kTogether}) {
          for (const int tasks_per_thread : {0, 1, 16}) {
            for (const bool compact : {true, false}) {
              check({.threads = threads, .prefill_chunk = chunk, .isa = isa, .compact_weights = compact},
                    batching, tasks_per_thread);
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace bitbrain::conformance

int main(int argc, char** argv) {
  if (argc != 3 || std::string(argv[1]) != "--model") {
    std::fprintf(stderr, "usage: conformance_summary --model MODEL.gguf\n");
    return 2;
  }
  try {
    std::fprintf(stderr, "conformance: kernels...\n");
    bitbrain::conformance::CheckTernaryMatmul();
    bitbrain::conformance::CheckHeadMatmul();
    std::fprintf(stderr, "conformance: engine against the reference...\n");
    bitbrain::conformance::CheckEngine(argv[2]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "conformance_summary: %s\n", e.what());
    return 1;
  }
  return 0;
}
