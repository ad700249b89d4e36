#include "engine/synthetic/random.h"

#include <cmath>

namespace bitbrain::synthetic {
namespace {

uint64_t RotateLeft(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// FNV-1a, 64 bit: a stable hash of a name.
uint64_t Fnv1a(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325u;
  for (const char c : text) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3u;
  }
  return hash;
}

// Evaluates c[0] x^(n-1) + ... + c[n-1] by Horner's rule.
template <size_t N>
double Polynomial(const double (&c)[N], double x) {
  double y = c[0];
  for (size_t i = 1; i < N; ++i) y = y * x + c[i];
  return y;
}

}  // namespace

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

Xoshiro256::Xoshiro256(uint64_t seed) {
  for (uint64_t& word : s_) word = SplitMix64(seed);
}

uint64_t Xoshiro256::Next() {
  const uint64_t result = RotateLeft(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = RotateLeft(s_[3], 45);
  return result;
}

uint64_t StreamSeed(uint64_t seed, std::string_view name, uint64_t chunk) {
  uint64_t state = seed;
  state = SplitMix64(state) ^ Fnv1a(name);
  state = SplitMix64(state) ^ chunk;
  return SplitMix64(state);
}

double Log(double x) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); log(m) = 2 atanh(s) with
  // s = (m - 1) / (m + 1), |s| < 0.172, summed as the series
  // 2 (s + s^3/3 + s^5/5 + ...) until the terms vanish below 1e-18.
  int e = 0;
  double m = std::frexp(x, &e);  // exact: m in [0.5, 1)
  if (m < 0.70710678118654752) {
    m *= 2;
    --e;
  }
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  double series = 0;
  for (int k = 21; k >= 3; k -= 2) series = (series + 1.0 / k) * s2;
  const double log_m = 2 * s + 2 * s * series;
  // ln 2 split so that e * kLn2High is exact for |e| < 2^11.
  constexpr double kLn2High = 6.93147180369123816490e-01;
  constexpr double kLn2Low = 1.90821492927058770002e-10;
  return e * kLn2High + (log_m + e * kLn2Low);
}

double InverseNormalCdf(double p) {
  // Peter J. Acklam's algorithm: a rational function of p - 1/2 in the
  // central region, of sqrt(-2 log p) in the tails.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01, 1.0};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00, 1.0};
  constexpr double kLowTail = 0.02425;
  if (p < kLowTail) {
    const double q = std::sqrt(-2 * Log(p));
    return Polynomial(c, q) / Polynomial(d, q);
  }
  if (p > 1 - kLowTail) {
    const double q = std::sqrt(-2 * Log(1 - p));
    return -Polynomial(c, q) / Polynomial(d, q);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return Polynomial(a, r) * q / Polynomial(b, r);
}

const NormalTable& StandardNormalTable() {
  static const NormalTable table = [] {
    NormalTable t;
    constexpr size_t n = t.size();
    // Built from the lower half and mirrored, so the table is exactly
    // symmetric (mean exactly zero).
    for (size_t k = 0; k < n / 2; ++k) {
      const float z = static_cast<float>(InverseNormalCdf((static_cast<double>(k) + 0.5) / n));
      t[k] = z;
      t[n - 1 - k] = -z;
    }
    return t;
  }();
  return table;
}

}  // namespace bitbrain::synthetic
