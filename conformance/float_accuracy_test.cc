// The scalar float kernels (the contract's definition, NUMERICS.md) against
// float64 math, within error bounds stated per test: they check that the
// contract computes what it means to, not just the same bits everywhere.
// u = 2^-24 is the f32 unit roundoff; gamma(m) = m u / (1 - m u) bounds the
// error of m roundings in a row. dot16 over n values rounds each product-sum
// ceil(n/16) times in its lane and 4 times in the tree: gamma(ceil(n/16) + 4).
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "conformance/float_harness.h"
#include "kernels/formats/f16.h"
#include "kernels/kernels.h"
#include "kernels/rope_table.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::conformance {
namespace {

using kernels::Isa;
using kernels::KernelsFor;

constexpr double kU = 0x1p-24;

double Gamma(double m) { return m * kU / (1 - m * kU); }

// Roundings on the way of each term of a dot16 or sum16 of n values.
double Dot16Depth(int n) { return std::ceil(n / 16.0) + 4; }

constexpr int kLengths[] = {1, 3, 16, 17, 100, 128, 2560, 6912};

TEST_CASE("dot16 and sum16 within gamma(ceil(n/16) + 4) of the exact sums") {
  uint64_t seed = 1;
  for (int n : kLengths) {
    const std::vector<float> a = RandomFloats(n, ++seed, -10, 10);
    const std::vector<float> b = RandomFloats(n, ++seed, -10, 10);
    std::vector<uint16_t> b_f16 = RandomF16(n, ++seed, -10, 10);
    double dot = 0, dot_abs = 0, dot_f16 = 0, dot_f16_abs = 0, sum = 0, sum_abs = 0;
    for (int i = 0; i < n; ++i) {  // products of floats are exact in f64
      dot += double{a[i]} * b[i];
      dot_abs += std::fabs(double{a[i]} * b[i]);
      dot_f16 += double{a[i]} * F16ToF32(b_f16[i]);
      dot_f16_abs += std::fabs(double{a[i]} * F16ToF32(b_f16[i]));
      sum += a[i];
      sum_abs += std::fabs(a[i]);
    }
    // The f64 sums themselves are off by at most n 2^-53 of the sums of
    // magnitudes.
    const double bound = Gamma(Dot16Depth(n)) + n * 0x1p-53;
    INFO("n = " << n);
    CHECK(std::fabs(kernels::scalar::Dot16(a.data(), b.data(), n) - dot) <= bound * dot_abs);
    CHECK(std::fabs(kernels::scalar::Dot16(a.data(), b_f16.data(), n) - dot_f16) <=
          bound * dot_f16_abs);
    CHECK(std::fabs(kernels::scalar::Sum16(a.data(), n) - sum) <= bound * sum_abs);
  }
}

// exp_c's error in units of the last place of the true value.
double ExpUlpError(float x) {
  const double exact = std::exp(double{x});
  int exponent;
  std::frexp(exact, &exponent);
  return std::fabs(kernels::scalar::ExpC(x) - exact) / std::ldexp(1.0, exponent - 24);
}

TEST_CASE("exp_c within 1.02 ulp of exp on [-87.3, 88.3]") {
  // Over every float of [-87.33654, 0] the largest error is 1.0103 ulp
  // (relative 1.41 u), at x = -5.87788439 (NUMERICS.md section 6); here
  // every 1021st float of [-87.3, 88.3] and that worst case.
  double worst = ExpUlpError(-5.87788439f);
  float worst_x = -5.87788439f;
  for (float limit : {-87.3f, 88.3f}) {
    const uint32_t last = std::bit_cast<uint32_t>(limit);
    const uint32_t first = limit < 0 ? 0x80000000u : 0u;
    for (uint64_t bits = first; bits <= last; bits += 1021) {
      const float x = std::bit_cast<float>(static_cast<uint32_t>(bits));
      const double error = ExpUlpError(x);
      if (error > worst) {
        worst = error;
        worst_x = x;
      }
    }
  }
  INFO("worst: " << worst << " ulp at x = " << worst_x);
  CHECK(worst <= 1.02);
}

TEST_CASE("rmsnorm within gamma(depth)/2 + 6u of the f64 formula") {
  uint64_t seed = 100;
  const float eps = 1e-5f;
  for (int n : kLengths) {
    const std::vector<float> x = RandomFloats(n, ++seed, -8, 4);
    const std::vector<float> w = RandomFloats(n, ++seed, -2, 1);
    std::vector<float> y(n);
    KernelsFor(Isa::kScalar).rmsnorm(x.data(), w.data(), n, eps, y.data());
    double sum_squares = 0;
    for (float v : x) sum_squares += double{v} * v;
    const double inv = 1.0 / std::sqrt(sum_squares / n + eps);
    const double bound = Gamma(Dot16Depth(n)) / 2 + 6 * kU;
    for (int i = 0; i < n; ++i) {
      const double exact = double{x[i]} * inv * w[i];
      INFO("n = " << n << ", i = " << i);
      REQUIRE(std::fabs(y[i] - exact) <= bound * std::fabs(exact));
    }
  }
}

TEST_CASE("rope table within u of f64 cos and sin, rotation within 3u") {
  uint64_t seed = 200;
  for (int head_dim : {64, 128}) {
    const int half = head_dim / 2;
    std::vector<float> cos(half), sin(half);
    for (int pos : {0, 1, 5, 100, 4095, 65535}) {
      kernels::RopeCosSin(pos, head_dim, 500000.0, cos.data(), sin.data());
      const std::vector<float> x = RandomFloats(head_dim, ++seed, -6, 6);
      std::vector<float> y = x;
      KernelsFor(Isa::kScalar).rope(y.data(), cos.data(), sin.data(), head_dim);
      for (int i = 0; i < half; ++i) {
        const double angle = pos * std::pow(500000.0, -2.0 * i / head_dim);
        const double c = std::cos(angle), s = std::sin(angle);
        INFO("head_dim " << head_dim << ", position " << pos << ", pair " << i);
        // Rounded once to f32: within u relative (half an ulp) of f64.
        REQUIRE(std::fabs(cos[i] - c) <= kU * std::fmax(std::fabs(c), 0x1p-126));
        REQUIRE(std::fabs(sin[i] - s) <= kU * std::fmax(std::fabs(s), 0x1p-126));
        // c and s rounded (u/2 each), two products, one sum: under 3u of
        // the magnitudes of the two terms.
        const double a = x[i], b = x[i + half];
        const double scale = std::fabs(a * c) + std::fabs(b * s) + std::fabs(a * s) +
                             std::fabs(b * c);
        REQUIRE(std::fabs(y[i] - (a * c - b * s)) <= 3 * kU * scale);
        REQUIRE(std::fabs(y[i + half] - (a * s + b * c)) <= 3 * kU * scale);
      }
    }
  }
}

TEST_CASE("attention within the stated bound of f64 softmax and weighted sum") {
  // Error budget per output o[d], against f64 with the same f16 inputs:
  //  score_j:  dx = scale gamma(depth) sum_i |q_i k_ji| + 2u |score_j|
  //            (dot16, the f32 scale, the product), for score_j and for m;
  //  e_j:      relative 2 dx + u |s_j - m| (the subtraction) + 2u (exp_c:
  //            1.41 u at most, see above);
  //  sum, inv: the e_j's errors weighted by p_j, + gamma(ceil(n/16) + 4) + u;
  //  p_j:      + u (product) + 2^-11 relative (f16 rounding), or 2^-25 in
  //            f16's subnormal range;
  //  o[d]:     sum_j |p_j - p64_j| |V_jd| + gamma(n) sum_j p_j |V_jd|.
  uint64_t seed = 300;
  for (int head_dim : {64, 128}) {
    for (int positions : {1, 2, 17, 100, 600}) {
      const std::vector<float> q = RandomF16Floats(head_dim, ++seed, -3, 1);
      const std::vector<uint16_t> keys = RandomF16(size_t(positions) * head_dim, ++seed, -4, 2);
      const std::vector<uint16_t> values =
          RandomF16(size_t(positions) * head_dim, ++seed, -8, 1);
      const AttentionSteps steps = RunAttention(KernelsFor(Isa::kScalar), q, keys.data(),
                                                values.data(), head_dim, positions);
      const double scale = 1.0 / std::sqrt(double(head_dim));
      std::vector<double> score(positions), dx(positions);
      double m = -INFINITY, dx_max = 0;
      for (int j = 0; j < positions; ++j) {
        double dot = 0, dot_abs = 0;
        for (int i = 0; i < head_dim; ++i) {
          const double product = double{q[i]} * F16ToF32(keys[j * head_dim + i]);
          dot += product;
          dot_abs += std::fabs(product);
        }
        score[j] = dot * scale;
        dx[j] = scale * Gamma(Dot16Depth(head_dim)) * dot_abs + 2 * kU * std::fabs(score[j]);
        m = std::fmax(m, score[j]);
        dx_max = std::fmax(dx_max, dx[j]);
      }
      std::vector<double> p64(positions), e_error(positions);
      double sum = 0;
      for (int j = 0; j < positions; ++j) sum += p64[j] = std::exp(score[j] - m);
      for (double& p : p64) p /= sum;
      // The sum's relative error: its terms' (weighted by p) and its own.
      double sum_error = Gamma(Dot16Depth(positions)) + kU;
      for (int j = 0; j < positions; ++j) {
        e_error[j] = 2 * (dx[j] + dx_max) + kU * std::fabs(score[j] - m) + 2 * kU;
        sum_error += p64[j] * e_error[j];
      }
      for (int d = 0; d < head_dim; ++d) {
        double o64 = 0, bound = 0, weighted_abs = 0;
        for (int j = 0; j < positions; ++j) {
          const double v = F16ToF32(values[j * head_dim + d]);
          o64 += p64[j] * v;
          const double p_error = e_error[j] + sum_error + kU;
          bound += (std::fmax(p64[j], steps.p[j]) * (p_error + 0x1p-11) + 0x1p-25) * std::fabs(v);
          weighted_abs += steps.p[j] * std::fabs(v);
        }
        bound += Gamma(positions) * weighted_abs;
        INFO("head_dim " << head_dim << ", " << positions << " positions, d = " << d);
        REQUIRE(std::fabs(steps.o[d] - o64) <= bound);
      }
    }
  }
}

}  // namespace
}  // namespace bitbrain::conformance
