// The scalar f16 conversions equal the x86 F16C instructions bit for bit:
// vcvtph2ps on all 65536 f16 values, vcvtps2ph (imm8 = 0: round to nearest
// even) on f32 edge cases and ten million random bit patterns.
// Compiled with -mf16c; the machines this project targets all have F16C.
#include <catch2/catch.hpp>

#include <immintrin.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/formats/f16.h"

namespace bitbrain {
namespace {

uint32_t HardwareF16ToF32Bits(uint16_t h) { return std::bit_cast<uint32_t>(_cvtsh_ss(h)); }
uint16_t HardwareF32ToF16(float f) { return static_cast<uint16_t>(_cvtss_sh(f, 0)); }

TEST_CASE("this machine has F16C") { REQUIRE(__builtin_cpu_supports("f16c")); }

TEST_CASE("F16ToF32 equals vcvtph2ps on every f16") {
  for (uint32_t h = 0; h < 65536; ++h) {
    INFO("h = " << h);
    REQUIRE(std::bit_cast<uint32_t>(F16ToF32(static_cast<uint16_t>(h))) ==
            HardwareF16ToF32Bits(static_cast<uint16_t>(h)));
  }
}

// f32 values where rounding to f16 is delicate.
std::vector<uint32_t> EdgeCaseBits() {
  std::vector<uint32_t> bits;
  auto add_around = [&](float f) {
    const uint32_t b = std::bit_cast<uint32_t>(f);
    for (int d = -2; d <= 2; ++d) {
      bits.push_back(b + static_cast<uint32_t>(d));
      bits.push_back((b + static_cast<uint32_t>(d)) ^ 0x80000000u);
    }
  };
  // Every f16 value and every midpoint between neighbours (the ties), +-2 ulp.
  for (uint32_t h = 0; h < 0x7C00; ++h) {
    const double here = F16ToF32(static_cast<uint16_t>(h));
    add_around(static_cast<float>(here));
    if (h < 0x7BFF) add_around(static_cast<float>((here + F16ToF32(static_cast<uint16_t>(h + 1))) / 2));
  }
  // Overflow boundary (65520 rounds to infinity), subnormal boundaries, the
  // f32 subnormals and extremes.
  for (float f : {65504.0f, 65520.0f, 65536.0f, std::ldexp(1.0f, -14), std::ldexp(1.0f, -24),
                  std::ldexp(1.0f, -25), std::ldexp(1.0f, -26), std::ldexp(1.0f, -126), std::ldexp(1.0f, -149),
                  3.4028235e38f, 1.0f}) {
    add_around(f);
  }
  // Every f32 exponent with a few mantissas.
  for (uint32_t e = 0; e < 256; ++e) {
    for (uint32_t m : {0u, 1u, 0x1000u, 0x1FFFu, 0x2000u, 0x3000u, 0x400000u, 0x7FFFFFu}) {
      bits.push_back((e << 23) | m);
      bits.push_back(0x80000000u | (e << 23) | m);
    }
  }
  // NaNs with payloads: quiet and signalling, payload in the kept and the
  // dropped bits, both signs.
  for (uint32_t payload : {1u, 0x1FFFu, 0x2000u, 0x3FFFFFu, 0x400000u, 0x400001u, 0x7FFFFFu, 0x2AA000u, 0x155555u}) {
    bits.push_back(0x7F800000u | payload);
    bits.push_back(0xFF800000u | payload);
  }
  return bits;
}

TEST_CASE("F32ToF16 equals vcvtps2ph on edge cases") {
  const std::vector<uint32_t> cases = EdgeCaseBits();
  CHECK(cases.size() > 600000);
  for (uint32_t b : cases) {
    const float f = std::bit_cast<float>(b);
    INFO("bits 0x" << std::hex << b);
    REQUIRE(F32ToF16(f) == HardwareF32ToF16(f));
  }
}

TEST_CASE("F32ToF16 equals vcvtps2ph on ten million random bit patterns") {
  uint64_t state = 0x9E3779B97F4A7C15ull;
  int mismatches = 0;
  uint32_t first_mismatch = 0;
  for (int i = 0; i < 10'000'000; ++i) {
    state ^= state << 13;  // xorshift64
    state ^= state >> 7;
    state ^= state << 17;
    const auto b = static_cast<uint32_t>(state >> 32);
    const float f = std::bit_cast<float>(b);
    if (F32ToF16(f) != HardwareF32ToF16(f) && mismatches++ == 0) first_mismatch = b;
  }
  INFO("first mismatch: bits 0x" << std::hex << first_mismatch);
  CHECK(mismatches == 0);
}

}  // namespace
}  // namespace bitbrain
