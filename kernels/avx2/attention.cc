// The steps of attention (NUMERICS.md section 2.4). Scores, for one query
// head, take 4 positions at a time (8 independent fma chains); exp_c runs on
// 16 scores at a time (the two halves of the sum16 lanes); the weighted sum
// of values serves every head that shares them (Values below).
#include <cmath>
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/lanes16.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::avx2 {
namespace {

// exp_c (section 1.3) on 8 lanes: the polynomial for every lane, then the
// out-of-range lanes replaced as the scalar definition says.
__m256 ExpC(__m256 x) {
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-0.693359375f), x);
  r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r);
  p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
  const __m256i exponent = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(_mm256_slli_epi32(exponent, 23)));
  y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY),
                       _mm256_cmp_ps(x, _mm256_set1_ps(88.37626f), _CMP_GT_OQ));
  y = _mm256_blendv_ps(y, _mm256_setzero_ps(),
                       _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654f), _CMP_LT_OQ));
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// exp_c(x[j] - m) for the elements [j, min(j + 8, n)), +0 in the other lanes.
__m256 ExpShifted(const float* x, int j, int n, __m256 m) {
  const __m256 e = ExpC(_mm256_sub_ps(LoadFrom(x, j, n), m));
  return _mm256_and_ps(e, _mm256_castsi256_ps(LanesFrom(j, n)));
}

// Floats as int32 ordered like the floats, with -0 below +0 (the magnitude
// bits of negative values flipped); the map is its own inverse.
__m256i Ordered(__m256i bits) {
  const __m256i negative = _mm256_srai_epi32(bits, 31);
  return _mm256_xor_si256(bits, _mm256_and_si256(negative, _mm256_set1_epi32(0x7FFFFFFF)));
}

// The f16 values v[0, count) as floats, count <= 8; zeros past them.
__m256 LoadF16(const uint16_t* v, int count) {
  if (count == 8) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v)));
  alignas(16) uint16_t padded[8] = {};
  std::memcpy(padded, v, count * sizeof(uint16_t));
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(padded)));
}

// The weighted sum of values, positions in blocks of kValueBlock: a block's
// values (16 KB of a 128-wide head; 4 KB of the engine's 32-dimension
// slices) stay in L1 while every head and dimension passes over them, so a
// group of heads reads the cache's values once, and converts each once.
// Within a block, 16 dimensions of up to kValueHeads heads at a time: 8
// accumulator registers, each converted value vector serving every head.
// Between blocks the sums rest in o, so each o_g[d] is still one fma chain
// over j = 0, 1, ... from +0, the scalar order.
constexpr int kValueBlock = 64;
constexpr int kValueHeads = 4;

struct Values {
  const float* p;
  size_t p_stride;
  const uint16_t* values;
  size_t value_stride;
  int dims;
  float* o;
  size_t o_stride;

  // Heads [g0, g0 + G), positions [j0, j1), all dimensions.
  template <int G>
  void Block(int g0, int j0, int j1) const {
    int d = 0;
    for (; d + 16 <= dims; d += 16) Dimensions<G, /*kWhole=*/true>(g0, j0, j1, d);
    if (d < dims) Dimensions<G, /*kWhole=*/false>(g0, j0, j1, d);
  }

  // Dimensions [d, d + 16) (kWhole) or [d, dims).
  template <int G, bool kWhole>
  void Dimensions(int g0, int j0, int j1, int d) const {
    // Every loop over g unrolled: an acc indexed at run time would live in
    // memory, with 8 stores per position.
    __m256 acc[G][2];
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      float* og = o + (g0 + g) * o_stride;
      acc[g][0] = j0 == 0 ? _mm256_setzero_ps() : LoadFrom(og, d, dims);
      acc[g][1] = j0 == 0 ? _mm256_setzero_ps() : LoadFrom(og, d + 8, dims);
    }
    const int count = dims - d;  // used only when !kWhole: 1..15
    for (int j = j0; j < j1; ++j) {
      const uint16_t* v = values + j * value_stride + d;
      __m256 v0, v1;
      if constexpr (kWhole) {
        v0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v)));
        v1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + 8)));
      } else {
        v0 = LoadF16(v, count < 8 ? count : 8);
        v1 = count > 8 ? LoadF16(v + 8, count - 8) : _mm256_setzero_ps();
      }
#pragma GCC unroll 4
      for (int g = 0; g < G; ++g) {
        const __m256 pj = _mm256_broadcast_ss(p + (g0 + g) * p_stride + j);
        acc[g][0] = _mm256_fmadd_ps(pj, v0, acc[g][0]);
        acc[g][1] = _mm256_fmadd_ps(pj, v1, acc[g][1]);
      }
    }
#pragma GCC unroll 4
    for (int g = 0; g < G; ++g) {
      float* og = o + (g0 + g) * o_stride;
      StoreFrom(og, d, dims, acc[g][0]);
      if (kWhole || count > 8) StoreFrom(og, d + 8, dims, acc[g][1]);
    }
  }
};

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
  const __m256 minus_infinity = _mm256_set1_ps(-INFINITY);
  __m256i best = Ordered(_mm256_castps_si256(minus_infinity));
  __m256 nan = _mm256_setzero_ps();
  for (int i = 0; i < n; i += 8) {
    const __m256 v = _mm256_blendv_ps(minus_infinity, LoadFrom(x, i, n),
                                      _mm256_castsi256_ps(LanesFrom(i, n)));
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    best = _mm256_max_epi32(best, Ordered(_mm256_castps_si256(v)));
  }
  // Which NaN is returned is the scalar kernel's rule (the first one).
  if (_mm256_movemask_ps(nan) != 0) return scalar::Max(x, n);
  __m128i max4 = _mm_max_epi32(_mm256_castsi256_si128(best), _mm256_extracti128_si256(best, 1));
  max4 = _mm_max_epi32(max4, _mm_shuffle_epi32(max4, _MM_SHUFFLE(1, 0, 3, 2)));
  max4 = _mm_max_epi32(max4, _mm_shuffle_epi32(max4, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtss_f32(_mm_castsi128_ps(_mm256_castsi256_si128(Ordered(_mm256_castsi128_si256(max4)))));
}

float ExpSum(const float* x, int n, float m, float* e) {
  const __m256 m_vector = _mm256_set1_ps(m);
  Lanes16 sum = Zero16();  // lane l adds e[j] for j % 16 = l
  for (int j = 0; j < n; j += 16) {
    const __m256 lo = ExpShifted(x, j, n, m_vector);
    const __m256 hi = ExpShifted(x, j + 8, n, m_vector);
    StoreFrom(e, j, n, lo);
    if (j + 8 < n) StoreFrom(e, j + 8, n, hi);
    sum.lo = _mm256_add_ps(sum.lo, lo);  // + (+0) in lanes past n: no change
    sum.hi = _mm256_add_ps(sum.hi, hi);
  }
  return SumLanes(sum);
}

void ScaleRoundF16(const float* e, int n, float inv, float* p) {
  const __m256 inv_vector = _mm256_set1_ps(inv);
  for (int j = 0; j < n; j += 8) {
    const __m256 scaled = _mm256_mul_ps(LoadFrom(e, j, n), inv_vector);
    const __m128i half = _mm256_cvtps_ph(scaled, _MM_FROUND_TO_NEAREST_INT);
    StoreFrom(p, j, n, _mm256_cvtph_ps(half));
  }
}

void WeightedValues(const float* p, size_t p_stride, int heads, const uint16_t* values,
                    size_t value_stride, int positions, int dims, float* o, size_t o_stride) {
  if (positions == 0) {
    for (int g = 0; g < heads; ++g) {
      for (int d = 0; d < dims; d += 8) StoreFrom(o + g * o_stride, d, dims, _mm256_setzero_ps());
    }
    return;
  }
  const Values v{p, p_stride, values, value_stride, dims, o, o_stride};
  for (int j0 = 0; j0 < positions; j0 += kValueBlock) {
    const int j1 = j0 + kValueBlock < positions ? j0 + kValueBlock : positions;
    int g = 0;
    for (; g + kValueHeads <= heads; g += kValueHeads) v.Block<kValueHeads>(g, j0, j1);
    switch (heads - g) {
      case 3: v.Block<3>(g, j0, j1); break;
      case 2: v.Block<2>(g, j0, j1); break;
      case 1: v.Block<1>(g, j0, j1); break;
    }
  }
}

}  // namespace bitbrain::kernels::avx2
