// RMSNorm (NUMERICS.md section 2.2): sumsq16, then the scaling, 8 at a time.
#include "kernels/avx2/avx2.h"
#include "kernels/avx2/lanes16.h"

namespace bitbrain::kernels::avx2 {

void RmsNorm(const float* x, const float* w, int n, float eps, float* y) {
  float sum_squares[1][1];
  Dot16Block<1, 1>(x, 0, x, 0, n, sum_squares);
  const float mean = sum_squares[0][0] / static_cast<float>(n);
  const float inv = 1.0f / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(mean + eps)));
  const __m256 inv_vector = _mm256_set1_ps(inv);
  for (int i = 0; i < n; i += 8) {
    const __m256 scaled = _mm256_mul_ps(LoadFrom(x, i, n), inv_vector);
    StoreFrom(y, i, n, _mm256_mul_ps(scaled, LoadFrom(w, i, n)));
  }
}

}  // namespace bitbrain::kernels::avx2
