// Runs the fuzz target (gguf_fuzzer.cc, here without libFuzzer) over the
// writer-made seeds and systematic mutations of them: every truncation, and
// every single-bit flip and 0x00/0xFF byte of the structure (the part before
// the tensor data, whose values the reader does not interpret).
#include <catch2/catch.hpp>

#include "engine/gguf/fuzz/fuzz_seeds.h"
#include "engine/gguf/fuzz/gguf_fuzzer.h"
#include "engine/gguf/gguf.h"

namespace bitbrain::fuzz {
namespace {

// Runs the target on an exactly-sized copy, as libFuzzer does.
void Run(const std::vector<uint8_t>& bytes) { LLVMFuzzerTestOneInput(bytes.data(), bytes.size()); }

TEST_CASE("the seeds are valid files") {
  for (const Seed& seed : FuzzSeeds()) {
    INFO(seed.name);
    CHECK_NOTHROW(gguf::File::FromBytes(seed.bytes.data(), seed.bytes.size(), seed.name));
  }
}

TEST_CASE("the fuzz target survives truncations, bit flips and byte changes of every seed") {
  size_t runs = 0;
  for (const Seed& seed : FuzzSeeds()) {
    INFO(seed.name);
    const std::vector<uint8_t>& full = seed.bytes;
    for (size_t n = 0; n <= full.size(); ++n, ++runs) Run(std::vector<uint8_t>(full.begin(), full.begin() + n));
    const size_t structure = gguf::File::FromBytes(full.data(), full.size(), seed.name).data_offset();
    std::vector<uint8_t> mutated = full;
    for (size_t i = 0; i < structure; ++i) {
      const uint8_t original = mutated[i];
      for (int bit = 0; bit < 8; ++bit, ++runs) {
        mutated[i] = static_cast<uint8_t>(original ^ (1u << bit));
        Run(mutated);
      }
      for (uint8_t value : {uint8_t{0x00}, uint8_t{0xFF}}) {
        mutated[i] = value;
        Run(mutated);
        ++runs;
      }
      mutated[i] = original;
    }
  }
  CHECK(runs > 10000);
}

}  // namespace
}  // namespace bitbrain::fuzz
