// The contract's 16-lane accumulator (NUMERICS.md section 1.1) as one AVX-512
// register: loads of 16 values (f32 or f16) with a zero-padded tail, the
// pairwise tree that ends every dot16 and sum16, and dot16 of a block of rows
// with a block of vectors. Private to this directory's kernels.
#ifndef BITBRAIN_KERNELS_AVX512_LANES16_H_
#define BITBRAIN_KERNELS_AVX512_LANES16_H_

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels/prefetch.h"

namespace bitbrain::kernels::avx512 {

// The first `count` lanes, count in [0, 16].
inline __mmask16 FirstLanes(int count) { return static_cast<__mmask16>((1u << count) - 1); }

// The lanes of elements [i, min(i + 16, n)) of a loop over n elements.
inline __mmask16 LanesFrom(int i, int n) { return FirstLanes(n - i < 16 ? n - i : 16); }

inline __m512 Load16(const float* p) { return _mm512_loadu_ps(p); }
inline __m512 Load16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

// The first `count` values, zeros in the other lanes (nothing else is read).
inline __m512 Load16(const float* p, int count) {
  return _mm512_maskz_loadu_ps(FirstLanes(count), p);
}
inline __m512 Load16(const uint16_t* p, int count) {
  return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(FirstLanes(count), p));
}

// acc[l] + acc[l + w] for w = 8, 4, 2, 1, then lane 0.
inline float SumLanes(__m512 acc) {
  const __m256 w8 = _mm256_add_ps(_mm512_castps512_ps256(acc),
                                  _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1)));
  const __m128 w4 = _mm_add_ps(_mm256_castps256_ps128(w8), _mm256_extractf128_ps(w8, 1));
  const __m128 w2 = _mm_add_ps(w4, _mm_movehl_ps(w4, w4));
  const __m128 w1 = _mm_add_ss(w2, _mm_movehdup_ps(w2));
  return _mm_cvtss_f32(w1);
}

// out[r][t] = dot16(x[t], row[r]) over n values for R rows of type Row
// (float or f16) at rows + r * row_stride and T float vectors at
// x + t * x_stride. Each converted row vector serves all T vectors, and the
// R * T accumulators are independent chains that hide the fma latency.
// kStreamRows: the rows are read once from memory, and the caller reads the
// next R rows (from rows + R * row_stride) next: each row's stream is
// prefetched ahead (prefetch.h), which changes no result.
template <int R, int T, typename Row, bool kStreamRows = false>
inline void Dot16Block(const Row* rows, size_t row_stride, const float* x, size_t x_stride, int n,
                       float (&out)[R][T]) {
  __m512 acc[R][T];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    if constexpr (kStreamRows) {
      PrefetchRowStreams<R>(rows, row_stride * sizeof(Row), i * sizeof(Row));
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 w = Load16(rows + r * row_stride + i);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[r][t] = _mm512_fmadd_ps(Load16(x + t * x_stride + i), w, acc[r][t]);
      }
    }
  }
  if (i < n) {  // both operands zero-padded: fma(0, 0, acc) = acc
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 w = Load16(rows + r * row_stride + i, n - i);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[r][t] = _mm512_fmadd_ps(Load16(x + t * x_stride + i, n - i), w, acc[r][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) out[r][t] = SumLanes(acc[r][t]);
  }
}

}  // namespace bitbrain::kernels::avx512

#endif  // BITBRAIN_KERNELS_AVX512_LANES16_H_
