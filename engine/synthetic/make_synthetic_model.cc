// The build's model maker (used by the genrules in BUILD; people use
// `bitbrain make-model`):  make_synthetic_model CONFIG SEED OUT
#include <cstdio>
#include <exception>
#include <string>

#include "engine/synthetic/synthetic_model.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_synthetic_model CONFIG SEED OUT\n");
    return 2;
  }
  try {
    const bitbrain::synthetic::SyntheticConfig* config = bitbrain::synthetic::FindConfig(argv[1]);
    if (config == nullptr) throw std::invalid_argument(std::string("unknown config ") + argv[1]);
    bitbrain::synthetic::WriteModel(*config, std::stoull(argv[2]), argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_synthetic_model: %s\n", e.what());
    return 1;
  }
  return 0;
}
