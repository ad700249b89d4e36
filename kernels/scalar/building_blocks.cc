// The contract's building blocks (NUMERICS.md section 1): the 16-lane sum
// order of every float reduction, and exp_c.
#include <bit>
#include <cmath>

#include "kernels/formats/f16.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {
namespace {

// The pairwise tree of section 1.1: lanes l and l + w for w = 8, 4, 2, 1.
float SumLanes(float (&acc)[16]) {
  for (int w = 8; w >= 1; w /= 2) {
    for (int l = 0; l < w; ++l) acc[l] = acc[l] + acc[l + w];
  }
  return acc[0];
}

// dot16 with b[i] read through load_b (floats or f16).
template <typename LoadB>
float Dot16Of(const float* a, const LoadB& load_b, int n) {
  float acc[16] = {};
  for (int i = 0; i < n; ++i) acc[i % 16] = std::fma(a[i], load_b(i), acc[i % 16]);
  // The tail's padding with +0 is processed too: fma(+0, +0, -0) = +0 turns
  // a lane that underflowed to -0 into +0, as a full-width SIMD fma does.
  for (int i = n; i % 16 != 0; ++i) acc[i % 16] = std::fma(0.0f, 0.0f, acc[i % 16]);
  return SumLanes(acc);
}

}  // namespace

float Dot16(const float* a, const float* b, int n) {
  return Dot16Of(a, [b](int i) { return b[i]; }, n);
}

float Dot16(const float* a, const uint16_t* b_f16, int n) {
  return Dot16Of(a, [b_f16](int i) { return F16ToF32(b_f16[i]); }, n);
}

float Sum16(const float* a, int n) {
  float acc[16] = {};
  for (int i = 0; i < n; ++i) acc[i % 16] = acc[i % 16] + a[i];
  return SumLanes(acc);
}

float ExpC(float x) {
  if (std::isnan(x)) return x;
  if (x > 88.37626f) return INFINITY;
  if (x < -87.33654f) return 0.0f;
  const float n = std::rint(x * 1.44269504f);  // round half even: |n| <= 127
  // r = x - n ln2, with ln2 split in two (Cody-Waite).
  float r = std::fma(n, -0.693359375f, x);
  r = std::fma(n, 2.12194440e-4f, r);
  float p = 1.9875691500e-4f;
  p = std::fma(p, r, 1.3981999507e-3f);
  p = std::fma(p, r, 8.3334519073e-3f);
  p = std::fma(p, r, 4.1665795894e-2f);
  p = std::fma(p, r, 1.6666665459e-1f);
  p = std::fma(p, r, 5.0000001201e-1f);
  const float r2 = r * r;
  p = std::fma(p, r2, r);
  p = p + 1.0f;
  // 2^n from its exponent bits: n in [-126, 127] makes it a normal float.
  const float two_to_n = std::bit_cast<float>(static_cast<uint32_t>(static_cast<int>(n) + 127) << 23);
  return p * two_to_n;
}

}  // namespace bitbrain::kernels::scalar
