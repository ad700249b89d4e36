// RMSNorm (NUMERICS.md section 2.2): sumsq16, then the scaling, 16 at a time.
#include "kernels/avx512/avx512.h"
#include "kernels/avx512/lanes16.h"

namespace bitbrain::kernels::avx512 {

void RmsNorm(const float* x, const float* w, int n, float eps, float* y) {
  float sum_squares[1][1];
  Dot16Block<1, 1>(x, 0, x, 0, n, sum_squares);
  const float mean = sum_squares[0][0] / static_cast<float>(n);
  const float inv = 1.0f / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(mean + eps)));
  const __m512 inv_vector = _mm512_set1_ps(inv);
  for (int i = 0; i < n; i += 16) {
    const __mmask16 lanes = LanesFrom(i, n);
    const __m512 scaled = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, x + i), inv_vector);
    _mm512_mask_storeu_ps(y + i, lanes, _mm512_mul_ps(scaled, _mm512_maskz_loadu_ps(lanes, w + i)));
  }
}

}  // namespace bitbrain::kernels::avx512
