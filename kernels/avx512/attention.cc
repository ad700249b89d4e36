// The steps of attention for one query head (NUMERICS.md section 2.4).
// Scores take 4 positions at a time (4 independent dot16 chains); exp_c runs
// on 16 scores at a time. The weighted sum of values is the AVX2 kernel's
// (registry.cc).
#include <cmath>

#include "kernels/avx512/avx512.h"
#include "kernels/avx512/lanes16.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::avx512 {
namespace {

// exp_c (section 1.3) on 16 lanes: the polynomial for every lane, then the
// out-of-range lanes replaced as the scalar definition says.
__m512 ExpC(__m512 x) {
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fmadd_ps(n, _mm512_set1_ps(-0.693359375f), x);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
  p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
  const __m512i exponent = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
  __m512 y = _mm512_mul_ps(p, _mm512_castsi512_ps(_mm512_slli_epi32(exponent, 23)));
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, _mm512_set1_ps(88.37626f), _CMP_GT_OQ),
                         _mm512_set1_ps(INFINITY));
  y = _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33654f), _CMP_LT_OQ),
                         _mm512_setzero_ps());
  return _mm512_mask_mov_ps(y, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

// Floats as int32 ordered like the floats, with -0 below +0 (the magnitude
// bits of negative values flipped); the map is its own inverse.
__m512i Ordered(__m512i bits) {
  const __m512i negative = _mm512_srai_epi32(bits, 31);
  return _mm512_xor_si512(bits, _mm512_and_si512(negative, _mm512_set1_epi32(0x7FFFFFFF)));
}

}  // namespace

void AttentionScores(const float* q, const uint16_t* keys, size_t key_stride, int positions,
                     int head_dim, float scale, float* score) {
  constexpr int kPositions = 4;
  int j = 0;
  for (; j + kPositions <= positions; j += kPositions) {
    float dots[kPositions][1];
    Dot16Block<kPositions, 1>(keys + j * key_stride, key_stride, q, 0, head_dim, dots);
    for (int r = 0; r < kPositions; ++r) score[j + r] = dots[r][0] * scale;
  }
  for (; j < positions; ++j) {
    float dot[1][1];
    Dot16Block<1, 1>(keys + j * key_stride, key_stride, q, 0, head_dim, dot);
    score[j] = dot[0][0] * scale;
  }
}

float Max(const float* x, int n) {
  const __m512 minus_infinity = _mm512_set1_ps(-INFINITY);
  __m512i best = Ordered(_mm512_castps_si512(minus_infinity));
  __mmask16 nan = 0;
  for (int i = 0; i < n; i += 16) {
    const __m512 v = _mm512_mask_loadu_ps(minus_infinity, LanesFrom(i, n), x + i);
    nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    best = _mm512_max_epi32(best, Ordered(_mm512_castps_si512(v)));
  }
  // Which NaN is returned is the scalar kernel's rule (the first one).
  if (nan != 0) return scalar::Max(x, n);
  const __m512i max = Ordered(_mm512_set1_epi32(_mm512_reduce_max_epi32(best)));
  return _mm_cvtss_f32(_mm512_castps512_ps128(_mm512_castsi512_ps(max)));
}

float ExpSum(const float* x, int n, float m, float* e) {
  const __m512 m_vector = _mm512_set1_ps(m);
  __m512 sum = _mm512_setzero_ps();  // lane l adds e[j] for j % 16 = l
  for (int j = 0; j < n; j += 16) {
    const __mmask16 lanes = LanesFrom(j, n);
    const __m512 v = _mm512_maskz_mov_ps(
        lanes, ExpC(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, x + j), m_vector)));
    _mm512_mask_storeu_ps(e + j, lanes, v);
    sum = _mm512_add_ps(sum, v);  // + (+0) in lanes past n: no change
  }
  return SumLanes(sum);
}

void ScaleRoundF16(const float* e, int n, float inv, float* p) {
  const __m512 inv_vector = _mm512_set1_ps(inv);
  for (int j = 0; j < n; j += 16) {
    const __mmask16 lanes = LanesFrom(j, n);
    const __m512 scaled = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, e + j), inv_vector);
    const __m256i half = _mm512_cvtps_ph(scaled, _MM_FROUND_TO_NEAREST_INT);
    _mm512_mask_storeu_ps(p + j, lanes, _mm512_cvtph_ps(half));
  }
}

}  // namespace bitbrain::kernels::avx512
