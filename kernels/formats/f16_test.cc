// The scalar f16 conversions against float64 math and against an
// independent nearest-value search (no hardware here; f16c_test.cc compares
// with the F16C instructions).
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/formats/f16.h"

namespace bitbrain {
namespace {

bool IsNan16(uint16_t h) { return (h & 0x7C00u) == 0x7C00u && (h & 0x03FFu) != 0; }

// The value of a finite f16 from its fields, in float64.
double F16Value(uint16_t h) {
  const int sign = (h & 0x8000u) ? -1 : 1;
  const int exponent = (h >> 10) & 0x1F;
  const int mantissa = h & 0x3FF;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

// Independent f32 -> f16 for finite inputs: the nearest of the 63488 finite
// f16 values by binary search over the monotonic positive codes, ties to the
// even code; |x| >= 65520 (halfway from 65504 to 2^16) rounds to infinity.
uint16_t NearestF16(float f) {
  const double x = std::fabs(static_cast<double>(f));
  const uint16_t sign = std::signbit(f) ? 0x8000 : 0;
  if (x >= 65520.0) return sign | 0x7C00;
  uint16_t lo = 0, hi = 0x7BFF;  // F16Value(lo) <= x < F16Value(hi + 1) after the search
  while (lo < hi) {
    const uint16_t mid = static_cast<uint16_t>((lo + hi + 1) / 2);
    if (F16Value(mid) <= x) lo = mid; else hi = static_cast<uint16_t>(mid - 1);
  }
  if (lo == 0x7BFF) return sign | lo;  // between 65504 and 65520
  const double below = x - F16Value(lo), above = F16Value(lo + 1) - x;
  if (below < above || (below == above && (lo & 1) == 0)) return sign | lo;
  return sign | static_cast<uint16_t>(lo + 1);
}

TEST_CASE("F16ToF32 is exact for every finite f16") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const auto h16 = static_cast<uint16_t>(h);
    if ((h16 & 0x7C00u) == 0x7C00u) continue;
    INFO("h = " << h);
    REQUIRE(static_cast<double>(F16ToF32(h16)) == F16Value(h16));
    REQUIRE(std::signbit(F16ToF32(h16)) == ((h16 & 0x8000u) != 0));
  }
  CHECK(F16ToF32(0x3C00) == 1.0f);
  CHECK(F16ToF32(0xC000) == -2.0f);
  CHECK(F16ToF32(0x7BFF) == 65504.0f);
  CHECK(F16ToF32(0x0001) == std::ldexp(1.0f, -24));
  CHECK(F16ToF32(0x7C00) == std::numeric_limits<float>::infinity());
  CHECK(F16ToF32(0xFC00) == -std::numeric_limits<float>::infinity());
  // NaN: the 10 payload bits move to the top of the f32 mantissa and the
  // result is quiet (bit 22 set), as F16C's vcvtph2ps does.
  CHECK(std::bit_cast<uint32_t>(F16ToF32(0x7E01)) == 0x7FC02000u);
  CHECK(std::bit_cast<uint32_t>(F16ToF32(0x7C01)) == 0x7FC02000u);  // signalling in, quiet out
  CHECK(std::bit_cast<uint32_t>(F16ToF32(0xFD55)) == 0xFFEAA000u);
}

TEST_CASE("F16ToF32 then F32ToF16 returns every f16 (NaNs quietened)") {
  for (uint32_t h = 0; h < 65536; ++h) {
    const auto h16 = static_cast<uint16_t>(h);
    const uint16_t expected = IsNan16(h16) ? static_cast<uint16_t>(h16 | 0x0200u) : h16;
    INFO("h = " << h);
    REQUIRE(F32ToF16(F16ToF32(h16)) == expected);
  }
}

TEST_CASE("F32ToF16 rounds to nearest even, by an independent search") {
  std::vector<float> cases;
  // Around every midpoint between neighbouring positive f16 values.
  for (uint32_t h = 0; h < 0x7BFF; ++h) {
    const float mid = static_cast<float>((F16Value(static_cast<uint16_t>(h)) + F16Value(static_cast<uint16_t>(h + 1))) / 2);
    cases.push_back(mid);
    cases.push_back(std::nextafter(mid, 0.0f));
    cases.push_back(std::nextafter(mid, 1e9f));
  }
  for (float f : {0.0f, 65504.0f, 65519.996f, 65520.0f, std::ldexp(1.0f, -25), std::ldexp(1.0f, -26),
                  std::ldexp(1.5f, -25), std::ldexp(1.0f, -14), std::ldexp(1023.5f, -24),
                  std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(),
                  std::numeric_limits<float>::max()}) {
    cases.push_back(f);
  }
  uint32_t state = 2463534242u;
  for (int i = 0; i < 200000; ++i) {  // xorshift32 bit patterns, finite only
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    const float f = std::bit_cast<float>(state);
    if (std::isfinite(f)) cases.push_back(f);
  }
  for (float f : cases) {
    for (float x : {f, -f}) {
      INFO("x = " << x << " bits " << std::bit_cast<uint32_t>(x));
      REQUIRE(F32ToF16(x) == NearestF16(x));
    }
  }
}

TEST_CASE("F32ToF16 special values") {
  CHECK(F32ToF16(std::numeric_limits<float>::infinity()) == 0x7C00);
  CHECK(F32ToF16(-std::numeric_limits<float>::infinity()) == 0xFC00);
  CHECK(F32ToF16(-0.0f) == 0x8000);
  // NaN keeps the sign and the top 10 payload bits, made quiet.
  CHECK(F32ToF16(std::bit_cast<float>(0x7F800001u)) == 0x7E00);  // payload below the kept bits
  CHECK(F32ToF16(std::bit_cast<float>(0xFFAAA000u)) == 0xFF55);
  CHECK(F32ToF16(std::bit_cast<float>(0x7FC00000u)) == 0x7E00);
  CHECK(RoundToF16(1.0f + std::ldexp(1.0f, -11)) == 1.0f);  // tie to even
  CHECK(RoundToF16(1.0f + std::ldexp(3.0f, -11)) == 1.0f + std::ldexp(1.0f, -9));
}

}  // namespace
}  // namespace bitbrain
