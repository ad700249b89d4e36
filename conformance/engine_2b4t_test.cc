// The engine against the reference on a 2B4T-shaped model (issue 5: the
// first tokens' logits, bit for bit). The test writes the synthetic 2b4t
// model (1.2 GB) into its temporary directory, or uses the file named by
// BITBRAIN_2B4T_MODEL:
//
//   bazel test //conformance:engine_2b4t_test --test_env=BITBRAIN_2B4T_MODEL=/tmp/2b4t.gguf
//
// Two prompts and two decoded tokens keep it to a minute or two of CI; the
// reference is the slow side. conformance:engine_2b4t_check runs longer ones.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "conformance/engine_harness.h"
#include "engine/gguf/gguf.h"
#include "engine/runtime/engine.h"
#include "engine/synthetic/synthetic_model.h"
#include "kernels/isa.h"

namespace bitbrain::conformance {
namespace {

TEST_CASE("2b4t: the first tokens' logits equal the reference's") {
  std::string path;
  if (const char* given = std::getenv("BITBRAIN_2B4T_MODEL")) {
    path = given;
  } else {
    const char* tmp = std::getenv("TEST_TMPDIR");
    path = std::string(tmp != nullptr ? tmp : "/tmp") + "/2b4t.gguf";
    synthetic::WriteModel(*synthetic::FindConfig("2b4t"), /*seed=*/1, path);
  }
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
