// Element-wise kernels (NUMERICS.md sections 2.5, 2.6, 1.2), 8 at a time.
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/lanes16.h"

namespace bitbrain::kernels::avx2 {
namespace {

// vcvtps2ph with round to nearest even (imm8 = 0), as F32ToF16.
inline __m128i ToF16Vector(__m256 x) { return _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT); }

}  // namespace

void SquaredReluMul(const float* gate, const float* up, int n, float* out) {
  const __m256 zero = _mm256_setzero_ps();
  for (int i = 0; i < n; i += 8) {
    // vmaxps returns its second operand if either is NaN or both are zero:
    // NaN stays NaN, and -0 gives r = -0, whose square is +0 as for r = +0.
    const __m256 r = _mm256_max_ps(zero, LoadFrom(gate, i, n));
    StoreFrom(out, i, n, _mm256_mul_ps(_mm256_mul_ps(r, r), LoadFrom(up, i, n)));
  }
}

void Add(float* x, const float* y, int n) {
  for (int i = 0; i < n; i += 8) {
    StoreFrom(x, i, n, _mm256_add_ps(LoadFrom(x, i, n), LoadFrom(y, i, n)));
  }
}

void RoundF16(const float* x, int n, float* y) {
  for (int i = 0; i < n; i += 8) {
    StoreFrom(y, i, n, _mm256_cvtph_ps(ToF16Vector(LoadFrom(x, i, n))));
  }
}

void ToF16(const float* x, int n, uint16_t* out) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), ToF16Vector(_mm256_loadu_ps(x + i)));
  }
  if (i < n) {  // AVX2 has no 16-bit masked store
    alignas(16) uint16_t tail[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(tail), ToF16Vector(LoadFrom(x, i, n)));
    std::memcpy(out + i, tail, (n - i) * sizeof(uint16_t));
  }
}

}  // namespace bitbrain::kernels::avx2
