// Every activation quantization variant in the registry against the scalar
// kernel, bit for bit (q, scale bits, sum of q), and the scalar kernel against
// the spec (NUMERICS.md section 2.3, ternary_harness.h).
#include <bit>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

#include "conformance/ternary_harness.h"

namespace bitbrain::conformance {
namespace {

using kernels::IsaName;
using kernels::Kernels;

QuantizedToken Quantize(const Kernels& k, const std::vector<float>& x) {
  QuantizedToken out{std::vector<int8_t>(x.size()), 0, 0};
  k.quantize_activations(x.data(), static_cast<int>(x.size()), out.q.data(), &out.scale,
                         &out.q_sum);
  return out;
}

bool SameBits(const QuantizedToken& a, const QuantizedToken& b) {
  return a.q == b.q && std::bit_cast<uint32_t>(a.scale) == std::bit_cast<uint32_t>(b.scale) &&
         a.q_sum == b.q_sum;
}

// The spec fixes that a poisoned scale is NaN, not which NaN.
bool SameValues(const QuantizedToken& a, const QuantizedToken& b) {
  const bool scales_equal = std::isnan(a.scale) ? std::isnan(b.scale)
                                                : std::bit_cast<uint32_t>(a.scale) ==
                                                      std::bit_cast<uint32_t>(b.scale);
  return a.q == b.q && scales_equal && a.q_sum == b.q_sum;
}

void CheckAllVariants(const std::vector<float>& x, const char* what) {
  const QuantizedToken truth = Quantize(kernels::KernelsFor(kernels::Isa::kScalar), x);
  INFO(what << ", " << x.size() << " values");
  CHECK(SameValues(truth, SpecQuantize(x.data(), static_cast<int>(x.size()))));
  for (const Kernels* k : RunnableVariants()) {
    INFO(IsaName(k->isa));
    CHECK(SameBits(Quantize(*k, x), truth));
  }
}

TEST_CASE("random activations of every K") {
  uint32_t seed = 1;
  for (int cols = 128; cols <= 6912; cols += 128) {
    CheckAllVariants(RandomActivations(1, cols, ++seed), "random");
  }
}

TEST_CASE("ties round half to even") {
  // amax = 127 makes s exactly 1, so q = rint(x): .5 cases round to even.
  std::vector<float> x(128, 0.0f);
  x[0] = 127.0f;
  for (int i = 1; i < 128; ++i) x[i] = static_cast<float>(i % 64) - 31.5f;
  CheckAllVariants(x, "ties");
  const QuantizedToken q = Quantize(kernels::KernelsFor(kernels::Isa::kScalar), x);
  CHECK(q.scale == 1.0f);
  CHECK(q.q[1] == -30);  // -30.5 -> -30
  CHECK(q.q[2] == -30);  // -29.5 -> -30
}

TEST_CASE("small, huge, zero and subnormal activations") {
  for (int cols : {128, 2560, 6912}) {
    std::vector<float> x(cols);
    for (float value : {0.0f, -0.0f, FLT_MAX, -FLT_MAX, 1e-6f, FLT_MIN / 8, 9.99e-6f}) {
      std::fill(x.begin(), x.end(), value);
      CheckAllVariants(x, "constant");
    }
    for (int i = 0; i < cols; ++i) x[i] = (i % 3 - 1) * 1e-7f * static_cast<float>(i);
    CheckAllVariants(x, "below the 1e-5 floor");
    for (int i = 0; i < cols; ++i) x[i] = i % 2 ? FLT_MAX : -FLT_MAX / 3;
    CheckAllVariants(x, "max magnitude");
  }
}

TEST_CASE("non-finite input quantizes to zero with a NaN or zero scale") {
  const int cols = 2560;
  for (int position : {0, 1, 15, 16, 1279, cols - 1}) {
    for (float bad : {NAN, -NAN, INFINITY, -INFINITY}) {
      std::vector<float> x = RandomActivations(1, cols, 7);
      x[position] = bad;
      CheckAllVariants(x, "one non-finite value");
      const QuantizedToken q = Quantize(kernels::KernelsFor(kernels::Isa::kScalar), x);
      CHECK(q.q == std::vector<int8_t>(cols, 0));
      CHECK(q.q_sum == 0);
      CHECK((std::isnan(bad) ? std::isnan(q.scale) : q.scale == 0.0f));
    }
  }
  std::vector<float> x(cols, 1.0f);
  x[5] = INFINITY;
  x[900] = NAN;  // NaN wins over Inf
  CheckAllVariants(x, "Inf then NaN");
  CHECK(std::isnan(Quantize(kernels::KernelsFor(kernels::Isa::kScalar), x).scale));
}

}  // namespace
}  // namespace bitbrain::conformance
