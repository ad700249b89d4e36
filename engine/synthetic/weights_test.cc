// Synthetic tensor values: recomputed here from the sampled normal indices
// and compared with what the fill functions wrote.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/synthetic/random.h"
#include "engine/synthetic/weights.h"
#include "kernels/formats/f16.h"
#include "kernels/formats/i2s.h"

namespace bitbrain::synthetic {
namespace {

// More than one chunk, the last one partial.
constexpr size_t kN = 128 * 1100;

std::vector<uint8_t> Ternary(uint64_t seed, const char* name, float sigma, size_t n = kN) {
  std::vector<uint8_t> out(i2s::TensorBytes(n));
  FillTernary(seed, name, sigma, out);
  return out;
}

TEST_CASE("FillTernary is absmean ternarization of the latent weights") {
  const float sigma = 0.0625f;
  const std::vector<uint8_t> packed = Ternary(7, "blk.3.ffn_up.weight", sigma);
  const std::vector<uint16_t> indices = SampleNormalIndices(7, "blk.3.ffn_up.weight", kN);
  const NormalTable& z = StandardNormalTable();

  double abs_sum = 0;
  for (const uint16_t k : indices) abs_sum += std::fabs(sigma * z[k]);
  const double absmean = abs_sum / kN;
  const float scale = i2s::Scale(packed.data(), kN);
  // Summed in another order here: equal within double rounding.
  CHECK(std::fabs(scale - absmean) <= 1e-6 * absmean);

  REQUIRE(i2s::FindInvalidCode(packed.data(), kN) == -1);
  std::vector<int8_t> ternary(kN);
  i2s::Unpack(packed.data(), ternary);
  size_t zeros = 0;
  size_t ones = 0;
  for (size_t j = 0; j < kN; ++j) {
    const float w = sigma * z[indices[j]];
    const int8_t expected = static_cast<int8_t>(std::fmax(-1.0f, std::fmin(1.0f, std::round(w / scale))));
    if (ternary[j] != expected) FAIL("element " << j << ": " << int(ternary[j]) << " != " << int(expected));
    zeros += ternary[j] == 0;
    ones += ternary[j] == 1;
  }
  // |z| < 0.5 * sqrt(2/pi) has probability 0.310 for a standard normal.
  const double zero_fraction = static_cast<double>(zeros) / kN;
  CHECK(zero_fraction > 0.30);
  CHECK(zero_fraction < 0.32);
  CHECK(std::fabs(static_cast<double>(ones) / kN - (1 - zero_fraction) / 2) < 0.005);
}

TEST_CASE("Tensor bytes depend on the seed and the name only") {
  const std::vector<uint8_t> a = Ternary(1, "blk.0.attn_q.weight", 0.05f);
  CHECK(Ternary(1, "blk.0.attn_q.weight", 0.05f) == a);
  CHECK(Ternary(2, "blk.0.attn_q.weight", 0.05f) != a);
  CHECK(Ternary(1, "blk.0.attn_k.weight", 0.05f) != a);
  // Chunks are independent streams: a longer tensor starts with the same draws.
  const std::vector<uint16_t> short_draws = SampleNormalIndices(1, "x", 1000);
  const std::vector<uint16_t> long_draws = SampleNormalIndices(1, "x", 3 * kChunkElements + 1);
  CHECK(std::equal(short_draws.begin(), short_draws.end(), long_draws.begin()));
}

TEST_CASE("FillF32 writes mean + sigma * z") {
  const size_t n = 1001;  // not a multiple of 4
  std::vector<uint8_t> out(4 * n);
  FillF32(3, "blk.1.attn_norm.weight", 1.0f, 0.05f, out);
  const std::vector<uint16_t> indices = SampleNormalIndices(3, "blk.1.attn_norm.weight", n);
  double sum = 0;
  for (size_t j = 0; j < n; ++j) {
    float value;
    std::memcpy(&value, out.data() + 4 * j, 4);
    const float expected = 1.0f + 0.05f * StandardNormalTable()[indices[j]];
    if (std::bit_cast<uint32_t>(value) != std::bit_cast<uint32_t>(expected)) FAIL("element " << j);
    sum += value;
  }
  CHECK(std::fabs(sum / n - 1) < 0.01);
}

TEST_CASE("FillF16 writes F32ToF16(sigma * z)") {
  const size_t n = 4099;
  std::vector<uint8_t> out(2 * n);
  FillF16(5, "token_embd.weight", 0.02f, out);
  const std::vector<uint16_t> indices = SampleNormalIndices(5, "token_embd.weight", n);
  double sum_squares = 0;
  for (size_t j = 0; j < n; ++j) {
    uint16_t value;
    std::memcpy(&value, out.data() + 2 * j, 2);
    if (value != F32ToF16(0.02f * StandardNormalTable()[indices[j]])) FAIL("element " << j);
    sum_squares += std::pow(F16ToF32(value), 2);
  }
  CHECK(std::sqrt(sum_squares / n) == Approx(0.02).epsilon(0.05));
}

}  // namespace
}  // namespace bitbrain::synthetic
