// Runs the reference forward pass on a GGUF model: evaluates a prompt of
// token ids in one call, then decodes greedily one token at a time, printing
// each step's top logits and time.
//
//   run_reference --model /tmp/2b4t.gguf --tokens 128000,9906,1917 --generate 3
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <numeric>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/gguf/gguf.h"
#include "reference/model.h"

namespace {

using bitbrain::reference::Logits;
using bitbrain::reference::Matrix;
using bitbrain::reference::ReferenceModel;

// Prints the `top` largest logits of a one-row matrix; returns the argmax.
int32_t PrintTop(const Matrix& logits, int top) {
  std::vector<int32_t> ids(logits.cols());
  std::iota(ids.begin(), ids.end(), 0);
  top = std::min<int>(top, static_cast<int>(ids.size()));
  std::partial_sort(ids.begin(), ids.begin() + top, ids.end(),
                    [&](int32_t a, int32_t b) { return logits(0, a) > logits(0, b); });
  for (int i = 0; i < top; ++i) std::printf("  %8d %12.6f\n", ids[i], logits(0, ids[i]));
  return ids[0];
}

void Run(const std::string& path, std::vector<int32_t> tokens, int generate, int top) {
  const auto start = std::chrono::steady_clock::now();
  const bitbrain::gguf::File file = bitbrain::gguf::File::Open(path);
  ReferenceModel model(file);
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  std::printf("loaded %s in %.2f s\n", path.c_str(), seconds_since(start));
  for (int step = 0; step <= generate; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    const Matrix logits = model.Forward(tokens, Logits::kLast);
    std::printf("%s of %zu token(s) at position %d: %.2f s; top logits:\n",
                step == 0 ? "prompt" : "decode", tokens.size(),
                model.position() - static_cast<int>(tokens.size()), seconds_since(t0));
    tokens = {PrintTop(logits, top)};
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"run_reference: the reference forward pass on a GGUF model"};
  std::string model;
  std::vector<int32_t> tokens;
  int generate = 0, top = 5;
  app.add_option("--model", model, "GGUF file")->required()->check(CLI::ExistingFile);
  app.add_option("--tokens", tokens, "prompt token ids")->required()->delimiter(',');
  app.add_option("--generate", generate, "tokens to decode greedily after the prompt")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--top", top, "logits to print per step")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    Run(model, tokens, generate, top);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run_reference: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
