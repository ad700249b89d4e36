// Element-wise kernels (NUMERICS.md sections 2.5, 2.6, 1.2), 16 at a time;
// the last vector is masked to the remaining elements.
#include "kernels/avx512/avx512.h"
#include "kernels/avx512/lanes16.h"

namespace bitbrain::kernels::avx512 {
namespace {

// vcvtps2ph with round to nearest even (imm8 = 0), as F32ToF16.
inline __m256i ToF16Vector(__m512 x) { return _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT); }

}  // namespace

void SquaredReluMul(const float* gate, const float* up, int n, float* out) {
  const __m512 zero = _mm512_setzero_ps();
  for (int i = 0; i < n; i += 16) {
    const __mmask16 lanes = LanesFrom(i, n);
    // vmaxps returns its second operand if either is NaN or both are zero:
    // NaN stays NaN, and -0 gives r = -0, whose square is +0 as for r = +0.
    const __m512 r = _mm512_max_ps(zero, _mm512_maskz_loadu_ps(lanes, gate + i));
    const __m512 u = _mm512_maskz_loadu_ps(lanes, up + i);
    _mm512_mask_storeu_ps(out + i, lanes, _mm512_mul_ps(_mm512_mul_ps(r, r), u));
  }
}

void Add(float* x, const float* y, int n) {
  for (int i = 0; i < n; i += 16) {
    const __mmask16 lanes = LanesFrom(i, n);
    _mm512_mask_storeu_ps(
        x + i, lanes,
        _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, x + i), _mm512_maskz_loadu_ps(lanes, y + i)));
  }
}

void RoundF16(const float* x, int n, float* y) {
  for (int i = 0; i < n; i += 16) {
    const __mmask16 lanes = LanesFrom(i, n);
    const __m256i half = ToF16Vector(_mm512_maskz_loadu_ps(lanes, x + i));
    _mm512_mask_storeu_ps(y + i, lanes, _mm512_cvtph_ps(half));
  }
}

void ToF16(const float* x, int n, uint16_t* out) {
  for (int i = 0; i < n; i += 16) {
    const __mmask16 lanes = LanesFrom(i, n);
    _mm256_mask_storeu_epi16(out + i, lanes, ToF16Vector(_mm512_maskz_loadu_ps(lanes, x + i)));
  }
}

}  // namespace bitbrain::kernels::avx512
