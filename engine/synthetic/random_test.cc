// The generators against published and independently computed outputs; the
// hand-written log and normal quantile against float64 libm within stated
// error bounds.
#include <catch2/catch.hpp>

#include <cmath>

#include "engine/synthetic/random.h"

namespace bitbrain::synthetic {
namespace {

TEST_CASE("SplitMix64 gives the reference outputs") {
  // The published test vector of Vigna's splitmix64.c for seed 1234567.
  uint64_t state = 1234567;
  const uint64_t expected[] = {6457827717110365317u, 3203168211198807973u, 9817491932198370423u,
                               4593380528125082431u, 16408922859458223821u};
  for (const uint64_t e : expected) CHECK(SplitMix64(state) == e);
}

TEST_CASE("Xoshiro256 gives the reference outputs") {
  // From an independent Python transcription of xoshiro256starstar.c, with
  // the state seeded by four SplitMix64 outputs from 42.
  Xoshiro256 rng(42);
  const uint64_t expected[] = {0x15780b2e0c2ec716u, 0x6104d9866d113a7eu, 0xae17533239e499a1u,
                               0xecb8ad4703b360a1u, 0xfde6dc7fe2ec5e64u};
  for (const uint64_t e : expected) CHECK(rng.Next() == e);
}

TEST_CASE("StreamSeed separates names, chunks and seeds") {
  const uint64_t base = StreamSeed(1, "blk.0.attn_q.weight", 0);
  CHECK(StreamSeed(1, "blk.0.attn_q.weight", 0) == base);
  CHECK(StreamSeed(2, "blk.0.attn_q.weight", 0) != base);
  CHECK(StreamSeed(1, "blk.0.attn_k.weight", 0) != base);
  CHECK(StreamSeed(1, "blk.0.attn_q.weight", 1) != base);
}

TEST_CASE("Log agrees with libm to a few ulp") {
  for (double x = 1e-300; x < 1e300; x *= 1.37) {
    CHECK(std::fabs(Log(x) - std::log(x)) <= 4e-16 * std::fabs(std::log(x)) + 1e-300);
  }
  for (double x = 0.5; x < 2; x += 1.0 / 1024) {  // near 1, where log is small
    CHECK(std::fabs(Log(x) - std::log(x)) <= 2.3e-16 * std::fabs(std::log(x)));
  }
}

TEST_CASE("InverseNormalCdf inverts Phi within Acklam's error bound") {
  // |x - x_true| <= 1.15e-9 |x|, so |Phi(x) - p| <= phi(x) * 1.15e-9 |x|
  // (plus the rounding of erfc).
  for (double p = 1e-12; p < 1; p = p < 0.5 ? p * 1.5 : 1 - (1 - p) / 1.5) {
    const double x = InverseNormalCdf(p);
    const double phi = std::exp(-x * x / 2) / std::sqrt(2 * M_PI);
    const double cdf = 0.5 * std::erfc(-x / std::sqrt(2.0));
    CHECK(std::fabs(cdf - p) <= 1.2e-9 * std::fabs(x) * phi + 1e-16);
    if (1 - p < 1e-12) break;
  }
  CHECK(InverseNormalCdf(0.5) == 0.0);
}

TEST_CASE("The normal table is a symmetric, increasing standard normal") {
  const NormalTable& z = StandardNormalTable();
  double sum = 0;
  double sum_squares = 0;
  for (size_t k = 0; k < z.size(); ++k) {
    CHECK(z[k] == -z[z.size() - 1 - k]);
    if (k > 0) CHECK(z[k] > z[k - 1]);
    sum += z[k];
    sum_squares += static_cast<double>(z[k]) * z[k];
  }
  CHECK(sum == 0.0);
  CHECK(std::fabs(sum_squares / z.size() - 1) < 1e-3);
  CHECK(z[0] == Approx(InverseNormalCdf(0.5 / 65536)));
  CHECK(z[0] < -4.2);
}

}  // namespace
}  // namespace bitbrain::synthetic
