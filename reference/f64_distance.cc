// Measures how far the contract's logits (the reference) are from a float64
// evaluation of the same model (float64_model.h), for NUMERICS.md section 6.
//
//   f64_distance --model small.gguf [--prompts 3] [--length 32]
//
// Prompts are fixed pseudo-random token sequences. Two f64 evaluations:
// "f16 points kept" rounds q, k, v, the probabilities and the head input to
// f16 where the contract does (so only f32 arithmetic differs); "all f64"
// keeps them in f64 too (the contract's whole rounding error). Both follow
// the contract's activation integers. Differences are over every logit of
// every position: max |d|, and max |d| / max_v |logit64| of the row.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/gguf/gguf.h"
#include "reference/float64_model.h"
#include "reference/model.h"

namespace {

using namespace bitbrain::reference;

struct Distance {
  double max_abs = 0;
  double max_rel = 0;  // relative to the row's largest |logit|
  int positions = 0;
  int argmax_changes = 0;
  RoundingAgreement agreement;
};

void Accumulate(const Matrix& logits, const Float64Result& f64, Distance& d) {
  for (Eigen::Index t = 0; t < logits.rows(); ++t) {
    const double row_scale = f64.logits.row(t).cwiseAbs().maxCoeff();
    const double diff = (logits.row(t).cast<double>() - f64.logits.row(t)).cwiseAbs().maxCoeff();
    d.max_abs = std::max(d.max_abs, diff);
    d.max_rel = std::max(d.max_rel, diff / row_scale);
    Eigen::Index a, b;
    logits.row(t).maxCoeff(&a);
    f64.logits.row(t).maxCoeff(&b);
    d.argmax_changes += a != b;
    ++d.positions;
  }
  RoundingAgreement& s = d.agreement;
  const RoundingAgreement& r = f64.agreement;
  s.quantized_values += r.quantized_values;
  s.quantization_disagreements += r.quantization_disagreements;
  s.max_quantization_excess = std::max(s.max_quantization_excess, r.max_quantization_excess);
  s.f16_values += r.f16_values;
  s.f16_disagreements += r.f16_disagreements;
  s.max_f16_excess = std::max(s.max_f16_excess, r.max_f16_excess);
}

void Print(const char* name, const Distance& d) {
  const RoundingAgreement& a = d.agreement;
  std::printf("%-16s positions %d: max abs %.3e, max rel %.3e, argmax changes %d\n", name,
              d.positions, d.max_abs, d.max_rel, d.argmax_changes);
  std::printf("%-16s integers: %lld of %lld differ in f64 (max excess %.2e); "
              "f16: %lld of %lld differ (max excess %.2e)\n",
              "", static_cast<long long>(a.quantization_disagreements),
              static_cast<long long>(a.quantized_values), a.max_quantization_excess,
              static_cast<long long>(a.f16_disagreements), static_cast<long long>(a.f16_values),
              a.max_f16_excess);
}

void Run(const std::string& path, int prompts, int length) {
  const bitbrain::gguf::File file = bitbrain::gguf::File::Open(path);
  Distance kept, all_f64;
  uint64_t state = 12345;
  for (int p = 0; p < prompts; ++p) {
    ReferenceModel model(file);
    std::vector<int32_t> tokens(length);
    for (int32_t& token : tokens) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;  // an LCG
      token = static_cast<int32_t>((state >> 33) % model.config().vocab_size);
    }
    Trace trace;
    const Matrix logits = model.Forward(tokens, Logits::kAll, &trace);
    Accumulate(logits, EvaluateFloat64(file, tokens, trace, {.f16_rounding_points = true}), kept);
    Accumulate(logits, EvaluateFloat64(file, tokens, trace, {.f16_rounding_points = false}),
               all_f64);
  }
  std::printf("%s: %d prompts of %d tokens\n", path.c_str(), prompts, length);
  Print("f16 points kept", kept);
  Print("all f64", all_f64);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"f64_distance: the contract's logits against a float64 evaluation"};
  std::string model;
  int prompts = 3, length = 32;
  app.add_option("--model", model, "GGUF file")->required()->check(CLI::ExistingFile);
  app.add_option("--prompts", prompts, "number of prompts")->check(CLI::PositiveNumber);
  app.add_option("--length", length, "tokens per prompt")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  try {
    Run(model, prompts, length);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "f64_distance: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
