// Activation quantization (NUMERICS.md section 2.3), 16 floats at a time.
#include <immintrin.h>

#include <cmath>

#include "kernels/avx512/avx512.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::avx512 {

void QuantizeActivations(const float* x, int cols, int8_t* q, float* scale, int32_t* q_sum) {
  const __m512 infinity = _mm512_set1_ps(INFINITY);
  __m512 amax = _mm512_setzero_ps();
  __mmask16 non_finite = 0;
  for (int i = 0; i < cols; i += 16) {
    const __m512 magnitude = _mm512_abs_ps(_mm512_loadu_ps(x + i));
    non_finite |= _mm512_cmp_ps_mask(magnitude, infinity, _CMP_NLT_UQ);  // Inf or NaN
    amax = _mm512_max_ps(amax, magnitude);
  }
  // A non-finite token poisons its outputs; the scalar code spells out how.
  if (non_finite != 0) return scalar::QuantizeActivations(x, cols, q, scale, q_sum);

  const double amax_f64 = _mm512_reduce_max_ps(amax);
  const float s = static_cast<float>(127.0 / (amax_f64 > 1e-5 ? amax_f64 : 1e-5));
  const __m512 s_vector = _mm512_set1_ps(s);
  __m512i sum = _mm512_setzero_si512();
  for (int i = 0; i < cols; i += 16) {
    // cvtps rounds half to even (the default MXCSR mode); |x * s| <= 127 here,
    // so the saturating narrowing is the contract's clamp.
    const __m512i rounded = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + i), s_vector));
    sum = _mm512_add_epi32(sum, rounded);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtsepi32_epi8(rounded));
  }
  *scale = s;
  *q_sum = _mm512_reduce_add_epi32(sum);
}

}  // namespace bitbrain::kernels::avx512
