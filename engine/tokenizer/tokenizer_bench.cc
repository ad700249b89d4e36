// Tokenizing speed on a text file:
//   bazel run //engine/tokenizer:tokenizer_bench -- MODEL.gguf TEXT_FILE [RUNS]
// Prints the time to read the vocabulary from the file and the best of RUNS
// encodings in MB/s. Times are the process's CPU time, which a busy shared
// machine disturbs less than wall time (everything here runs on one thread).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"

namespace {

double CpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int Run(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: tokenizer_bench MODEL.gguf TEXT_FILE [RUNS]\n");
    return 2;
  }
  const int runs = argc == 4 ? std::max(1, std::atoi(argv[3])) : 5;
  std::ifstream in(argv[2], std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read ") + argv[2]);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  double start = CpuSeconds();
  const bitbrain::gguf::File file = bitbrain::gguf::File::Open(argv[1]);
  const double opened = CpuSeconds();
  const auto tokenizer = bitbrain::tokenizer::Tokenizer::FromGguf(file);
  std::printf("vocabulary: %d tokens; GGUF opened in %.1f ms, tokenizer built in %.1f ms\n",
              tokenizer.vocab_size(), 1e3 * (opened - start), 1e3 * (CpuSeconds() - opened));

  double best = 1e30;
  size_t n_tokens = 0;
  for (int run = 0; run < runs; ++run) {
    start = CpuSeconds();
    n_tokens = tokenizer.Encode(text).size();
    best = std::min(best, CpuSeconds() - start);
  }
  const double mb = text.size() / 1e6;
  std::printf("encode: %.2f MB -> %zu tokens in %.1f ms (best of %d): %.1f MB/s, %.2f M tokens/s\n",
              mb, n_tokens, 1e3 * best, runs, mb / best, n_tokens / best / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tokenizer_bench: %s\n", e.what());
    return 1;
  }
}
