// Seed inputs for the GGUF fuzzer, produced by the writer at run time.
#ifndef BITBRAIN_ENGINE_GGUF_FUZZ_FUZZ_SEEDS_H_
#define BITBRAIN_ENGINE_GGUF_FUZZ_FUZZ_SEEDS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace bitbrain::fuzz {

struct Seed {
  std::string name;
  std::vector<uint8_t> bytes;
};

// A minimal valid bitnet model, a file with every value type and tensor type,
// a file with a non-default alignment and an empty file.
std::vector<Seed> FuzzSeeds();

}  // namespace bitbrain::fuzz

#endif  // BITBRAIN_ENGINE_GGUF_FUZZ_FUZZ_SEEDS_H_
