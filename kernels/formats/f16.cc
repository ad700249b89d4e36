#include "kernels/formats/f16.h"

#include <bit>

namespace bitbrain {

float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1Fu;
  uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0x1F) {  // Inf or NaN: payload moves to the top bits.
    // A NaN comes out quiet, as vcvtph2ps makes it (f16c_test checks this).
    const uint32_t quiet = mantissa != 0 ? 0x400000u : 0;
    return std::bit_cast<float>(sign | 0x7F800000u | quiet | (mantissa << 13));
  }
  if (exponent != 0) {  // Normal: rebias 15 -> 127.
    return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
  }
  if (mantissa == 0) return std::bit_cast<float>(sign);  // +-0
  // Subnormal: mantissa * 2^-24, normalised for binary32.
  int shift = 0;
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    ++shift;
  }
  mantissa &= 0x3FFu;
  return std::bit_cast<float>(sign | ((113 - shift) << 23) | (mantissa << 13));
}

uint16_t F32ToF16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t exponent = (bits >> 23) & 0xFFu;
  const uint32_t mantissa = bits & 0x7FFFFFu;
  if (exponent == 0xFF) {
    if (mantissa == 0) return sign | 0x7C00u;                         // Inf
    return static_cast<uint16_t>(sign | 0x7E00u | (mantissa >> 13));  // quiet NaN
  }
  // Value = 1.mantissa * 2^(exponent-127). Work with the 24-bit significand
  // and shift it right so that the result has f16 resolution, rounding RNE.
  const int unbiased = static_cast<int>(exponent) - 127;
  if (unbiased > 15) return sign | 0x7C00u;  // overflows even before rounding
  uint32_t significand = mantissa | (exponent != 0 ? 0x800000u : 0);
  // Bits to drop: 13 for normal f16 results; more for subnormal ones
  // (f16 subnormals have a fixed exponent of -14).
  int drop = 13;
  if (unbiased < -14) drop += -14 - unbiased;
  if (drop > 24) return sign;  // below half of the smallest subnormal: +-0
  const uint32_t kept = significand >> drop;
  const uint32_t rest = significand & ((1u << drop) - 1);
  const uint32_t half = 1u << (drop - 1);
  uint32_t rounded = kept + ((rest > half || (rest == half && (kept & 1u))) ? 1u : 0u);
  if (unbiased < -14) {
    // Subnormal (or rounds up into the smallest normal, which the bit
    // pattern expresses naturally: 0x400 is exponent 1, mantissa 0).
    return static_cast<uint16_t>(sign | rounded);
  }
  // Normal: rounded holds 1.mmmmmmmmmm (11 bits) and may carry to 12 bits.
  uint32_t half_exponent = static_cast<uint32_t>(unbiased + 15);
  if (rounded & 0x800u) {
    rounded >>= 1;
    ++half_exponent;
  }
  if (half_exponent >= 31) return sign | 0x7C00u;
  return static_cast<uint16_t>(sign | (half_exponent << 10) | (rounded & 0x3FFu));
}

}  // namespace bitbrain
