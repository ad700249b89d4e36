// exp_c (NUMERICS.md section 1.3) of every variant against the scalar
// definition, bit for bit: special values, the thresholds and their
// neighbours, and a dense sweep of [-88, 89]. The variants' exp_c is reached
// through exp_sum with m = 0 (x - 0 = x exactly).
//
// The test case tagged [.exhaustive] sweeps every float in [-88, 0] (about
// 1.1e9 values); it is skipped by default and run by
// `bazel test //conformance:exp_c_exhaustive_test`.
#include <bit>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <vector>

#include "conformance/float_harness.h"
#include "conformance/ternary_harness.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::conformance {
namespace {

using kernels::IsaName;
using kernels::Kernels;

// Floats with bit patterns first, first + step, ... up to last (inclusive).
std::vector<float> FloatsByBits(uint32_t first, uint32_t last, uint32_t step) {
  std::vector<float> x;
  for (uint64_t bits = first; bits <= last; bits += step) {
    x.push_back(std::bit_cast<float>(static_cast<uint32_t>(bits)));
  }
  return x;
}

// Checks that the scalar exp_sum with m = 0 is scalar::ExpC (a NaN input
// comes out quieted by x - 0), and every variant's exp_sum against it, NaN
// bits included.
void CheckExp(const std::vector<float>& x) {
  const int n = static_cast<int>(x.size());
  std::vector<float> truth(n);
  const float sum = kernels::KernelsFor(kernels::Isa::kScalar).exp_sum(x.data(), n, 0.0f,
                                                                       truth.data());
  std::vector<float> definition(n);
  for (int i = 0; i < n; ++i) definition[i] = kernels::scalar::ExpC(x[i]);
  REQUIRE(FirstDifference(truth, definition, n, NanBits::kAny) == "");
  for (const Kernels* k : RunnableVariants()) {
    INFO(IsaName(k->isa) << ": " << n << " values from " << x.front());
    std::vector<float> e(n);
    const float variant_sum = k->exp_sum(x.data(), n, 0.0f, e.data());
    REQUIRE(FirstDifference(e, truth, n) == "");
    REQUIRE(FirstDifference({variant_sum}, {sum}, 1, NanBits::kAny) == "");
  }
}

TEST_CASE("exp_c: special values and thresholds") {
  std::vector<float> x = SpecialFloats();
  for (float edge : {88.37626f, -87.33654f, 88.0f, -88.0f, 0.0f, -0.0f, 0.5f, -0.5f,
                     0.34657359f, -0.34657359f}) {  // ln2 / 2: n changes
    float below = edge, above = edge;
    for (int i = 0; i < 40; ++i) {
      x.push_back(below = std::nextafter(below, -INFINITY));
      x.push_back(above = std::nextafter(above, INFINITY));
    }
  }
  // Where x * log2(e) is near k + 1/2, rint decides between two n.
  for (int k = -127; k <= 127; ++k) {
    const float tie = static_cast<float>((k + 0.5) / 1.4426950408889634);
    float below = tie, above = tie;
    for (int i = 0; i < 8; ++i) {
      x.push_back(below = std::nextafter(below, -INFINITY));
      x.push_back(above = std::nextafter(above, INFINITY));
    }
  }
  CheckExp(x);
  CHECK(std::isnan(kernels::scalar::ExpC(NAN)));
  CHECK(kernels::scalar::ExpC(INFINITY) == INFINITY);
  CHECK(std::bit_cast<uint32_t>(kernels::scalar::ExpC(-INFINITY)) == 0u);
  CHECK(kernels::scalar::ExpC(0.0f) == 1.0f);
}

TEST_CASE("exp_c: every 251st float in [-88, 89]") {
  const uint32_t minus_zero = 0x80000000u;
  CheckExp(FloatsByBits(minus_zero, std::bit_cast<uint32_t>(-88.0f), 251));
  CheckExp(FloatsByBits(0, std::bit_cast<uint32_t>(89.0f), 251));
}

TEST_CASE("exp_c: every float in [-88, 0]", "[.exhaustive]") {
  const uint32_t last = std::bit_cast<uint32_t>(-88.0f);
  for (uint64_t first = 0x80000000u; first <= last; first += 1u << 22) {
    CheckExp(FloatsByBits(static_cast<uint32_t>(first),
                          static_cast<uint32_t>(std::min<uint64_t>(first + (1u << 22) - 1, last)),
                          1));
  }
}

}  // namespace
}  // namespace bitbrain::conformance
