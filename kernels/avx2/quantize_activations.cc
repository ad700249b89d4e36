// Activation quantization (NUMERICS.md section 2.3), 8 floats at a time.
#include <immintrin.h>

#include <cmath>

#include "kernels/avx2/avx2.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::avx2 {
namespace {

float ReduceMax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

int32_t ReduceAdd(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

}  // namespace

void QuantizeActivations(const float* x, int cols, int8_t* q, float* scale, int32_t* q_sum) {
  const __m256 no_sign = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  const __m256 infinity = _mm256_set1_ps(INFINITY);
  __m256 amax = _mm256_setzero_ps();
  __m256 non_finite = _mm256_setzero_ps();
  for (int i = 0; i < cols; i += 8) {
    const __m256 magnitude = _mm256_and_ps(_mm256_loadu_ps(x + i), no_sign);
    non_finite = _mm256_or_ps(non_finite, _mm256_cmp_ps(magnitude, infinity, _CMP_NLT_UQ));
    amax = _mm256_max_ps(amax, magnitude);
  }
  // A non-finite token poisons its outputs; the scalar code spells out how.
  if (_mm256_movemask_ps(non_finite) != 0) {
    return scalar::QuantizeActivations(x, cols, q, scale, q_sum);
  }

  const double amax_f64 = ReduceMax(amax);
  const float s = static_cast<float>(127.0 / (amax_f64 > 1e-5 ? amax_f64 : 1e-5));
  const __m256 s_vector = _mm256_set1_ps(s);
  // packs interleaves 128-bit lanes; this permutation restores the order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  __m256i sum = _mm256_setzero_si256();
  for (int i = 0; i < cols; i += 32) {
    __m256i rounded[4];
    for (int j = 0; j < 4; ++j) {
      // cvtps rounds half to even (the default MXCSR mode); |x * s| <= 127
      // here, so the saturating packs are the contract's clamp.
      rounded[j] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), s_vector));
      sum = _mm256_add_epi32(sum, rounded[j]);
    }
    const __m256i words01 = _mm256_packs_epi32(rounded[0], rounded[1]);
    const __m256i words23 = _mm256_packs_epi32(rounded[2], rounded[3]);
    const __m256i bytes = _mm256_packs_epi16(words01, words23);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i),
                        _mm256_permutevar8x32_epi32(bytes, order));
  }
  *scale = s;
  *q_sum = ReduceAdd(sum);
}

}  // namespace bitbrain::kernels::avx2
