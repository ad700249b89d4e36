// The engine against the reference on a 2B4T-shaped model, whose path is
// given in BITBRAIN_2B4T_MODEL (too large to build in CI; tagged manual):
//
//   bazel run //:bitbrain -- make-model --config 2b4t --seed 1 --out /tmp/2b4t.gguf
//   bazel test //conformance:engine_2b4t_test --test_env=BITBRAIN_2B4T_MODEL=/tmp/2b4t.gguf
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "conformance/engine_harness.h"
#include "engine/gguf/gguf.h"
#include "engine/runtime/engine.h"
#include "kernels/isa.h"

namespace bitbrain::conformance {
namespace {

TEST_CASE("2b4t: the first tokens' logits equal the reference's") {
  const char* path = std::getenv("BITBRAIN_2B4T_MODEL");
  INFO("set BITBRAIN_2B4T_MODEL to a 2b4t model file (bitbrain make-model --config 2b4t)");
  REQUIRE(path != nullptr);
  const std::vector<std::vector<int32_t>> prompts = {{128000, 9906, 1917}, {128000, 791}};
  constexpr int kSteps = 2;
  const gguf::File file = gguf::File::Open(path);
  std::vector<DecodeRun> expected;
  for (const std::vector<int32_t>& prompt : prompts)
    expected.push_back(ReferenceGreedy(file, prompt, kSteps));
  for (const kernels::Isa isa : kernels::SupportedIsas()) {
    if (isa == kernels::Isa::kScalar) continue;  // hours on this model; tiny covers it
    runtime::Engine engine(path, {.threads = 2, .prefill_chunk = 2, .isa = isa});
    const std::vector<DecodeRun> actual =
        EngineGreedy(engine, prompts, kSteps, Batching::kTogether);
    for (size_t i = 0; i < prompts.size(); ++i) {
      INFO(kernels::IsaName(isa) << ", prompt " << i);
      CHECK(FirstDifference(expected[i], actual[i], static_cast<int>(prompts[i].size()),
                            engine.config().vocab_size) == "");
    }
  }
}

}  // namespace
}  // namespace bitbrain::conformance
