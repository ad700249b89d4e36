// The hand-checkable case: a one-layer model (hidden 128, two heads of 64
// sharing one KV head, ffn 128, 16 tokens of vocabulary) evaluated by the
// reference and, independently, by plain float64 math (float64_model.h).
#include "reference/float64_model.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "kernels/formats/f16.h"
#include "reference/model.h"
#include "reference/test_model.h"

namespace bitbrain::reference {
namespace {

TEST_CASE("RoundF64ToF16 rounds like F32ToF16 on values a float can hold") {
  // For a double that is a float the two roundings see the same value.
  // Every f16 value and every midpoint between neighbours (the ties):
  for (uint32_t h = 0; h < 0x7C00u; ++h) {
    const float value = F16ToF32(static_cast<uint16_t>(h));
    const float midpoint = (value + F16ToF32(static_cast<uint16_t>(h + 1))) / 2;  // exact
    for (float x : {value, midpoint, -midpoint}) {
      INFO("x = " << x);
      REQUIRE(RoundF64ToF16(x) == static_cast<double>(RoundToF16(x)));
    }
  }
  // Random floats from 2^-30 (below f16's subnormals) to 2^18 (overflow).
  std::mt19937 rng(16);
  std::uniform_int_distribution<uint32_t> mantissa(0, 0x7FFFFF), sign(0, 1);
  std::uniform_int_distribution<uint32_t> exponent(127 - 30, 127 + 17);
  for (int i = 0; i < 1000000; ++i) {
    const float x = std::bit_cast<float>(sign(rng) << 31 | exponent(rng) << 23 | mantissa(rng));
    INFO("x = " << x);
    REQUIRE(RoundF64ToF16(x) == static_cast<double>(RoundToF16(x)));
  }
  CHECK(RoundF64ToF16(65519.99) == 65504.0);
  CHECK(RoundF64ToF16(65520.0) == std::numeric_limits<double>::infinity());
}

// The rounding decisions: between two rounding points the reference performs
// only a handful of f32 operations (a norm, a rescale, a rotation, a dot16,
// a softmax), each within a few tens of f32 rounding errors of the f64 value
// in this well-scaled model (activations and attention scores of order 1).
// So the f64 value may lie beyond the contract's rounding boundary by at most
// a few 2^-20 of its vector's scale; 2^-16 leaves a wide margin and is still
// far below what a wrong formula, order or rounding point would produce.
constexpr double kMaxExcess = 0x1p-16;

TEST_CASE("A one-layer model's logits match float64 math within the derived bound") {
  TestModelShape shape;  // hidden 128, 1 layer, ffn 128, 2 heads / 1 KV head, vocab 16
  const std::vector<uint8_t> bytes = MakeTestModel(shape, 2024);
  const gguf::File file = gguf::File::FromBytes(bytes.data(), bytes.size(), "one-layer");
  const std::vector<int32_t> tokens = {3, 1, 4, 1, 5, 9, 2, 6};

  ReferenceModel model(file);
  Trace trace;
  const Matrix logits = model.Forward(tokens, Logits::kAll, &trace);
  const Float64Result exact = EvaluateFloat64(file, tokens, trace, Float64Options{});

  const RoundingAgreement& a = exact.agreement;
  INFO("quantized " << a.quantized_values << ", disagreements " << a.quantization_disagreements
                    << ", max excess " << a.max_quantization_excess);
  INFO("f16 values " << a.f16_values << ", disagreements " << a.f16_disagreements
                     << ", max excess " << a.max_f16_excess);
  // Seven BitLinears (q, k, v, o, gate, up, down) of 128 inputs per token.
  CHECK(a.quantized_values == static_cast<int64_t>(tokens.size()) * 7 * 128);
  CHECK(a.max_quantization_excess <= kMaxExcess);
  CHECK(a.max_f16_excess <= kMaxExcess);

  // The head input is the contract's f16 vector in both, so a logit differs
  // only by dot16's rounding: gamma(128/16 + 4) sum |hn_i E_i| (the f64 sum
  // adds at most 128 * 2^-53 of the same).
  const double u = 0x1p-24, depth = 128 / 16 + 4;
  const double bound = depth * u / (1 - depth * u) + 128 * 0x1p-53;
  const gguf::TensorInfo* embeddings = file.FindTensor("token_embd.weight");  // the tied head
  REQUIRE(embeddings != nullptr);
  for (Eigen::Index t = 0; t < logits.rows(); ++t) {
    for (int v = 0; v < shape.vocab; ++v) {
      double magnitude = 0;
      for (int i = 0; i < shape.hidden; ++i) {
        uint16_t e;
        std::memcpy(&e, embeddings->data + 2 * (static_cast<size_t>(v) * shape.hidden + i), 2);
        magnitude += std::fabs(trace.head_input(t, i) * static_cast<double>(F16ToF32(e)));
      }
      INFO("token " << t << ", logit " << v);
      CHECK(std::fabs(logits(t, v) - exact.logits(t, v)) <= bound * magnitude);
    }
  }
}

}  // namespace
}  // namespace bitbrain::reference
