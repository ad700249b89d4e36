// Writes the fuzz seeds (fuzz_seeds.h) into a directory: write_fuzz_seeds DIR
#include <cstdio>
#include <fstream>

#include "engine/gguf/fuzz/fuzz_seeds.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  for (const bitbrain::fuzz::Seed& seed : bitbrain::fuzz::FuzzSeeds()) {
    const std::string path = std::string(argv[1]) + "/" + seed.name + ".gguf";
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(seed.bytes.data()), static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
