// RoPE rotation (NUMERICS.md section 1.4), 8 pairs at a time.
#include "kernels/avx2/avx2.h"
#include "kernels/avx2/lanes16.h"

namespace bitbrain::kernels::avx2 {

void Rope(float* x, const float* cos, const float* sin, int head_dim) {
  const int half = head_dim / 2;
  for (int i = 0; i < half; i += 8) {
    const __m256 a = LoadFrom(x, i, half);
    const __m256 b = LoadFrom(x + half, i, half);
    const __m256 c = LoadFrom(cos, i, half);
    const __m256 s = LoadFrom(sin, i, half);
    StoreFrom(x, i, half, _mm256_sub_ps(_mm256_mul_ps(a, c), _mm256_mul_ps(b, s)));
    StoreFrom(x + half, i, half, _mm256_add_ps(_mm256_mul_ps(a, s), _mm256_mul_ps(b, c)));
  }
}

}  // namespace bitbrain::kernels::avx2
