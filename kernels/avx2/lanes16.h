// The contract's 16-lane accumulator (NUMERICS.md section 1.1) as two AVX2
// registers (lanes 0-7 and 8-15): loads of 16 values (f32 or f16) with a
// zero-padded tail, the pairwise tree that ends every dot16 and sum16, and
// dot16 of a block of rows with a block of vectors. Private to this
// directory's kernels.
#ifndef BITBRAIN_KERNELS_AVX2_LANES16_H_
#define BITBRAIN_KERNELS_AVX2_LANES16_H_

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/prefetch.h"

namespace bitbrain::kernels::avx2 {

struct Lanes16 {
  __m256 lo;  // lanes 0-7
  __m256 hi;  // lanes 8-15
};

// For 8-wide loops over n elements: all ones in the lanes of elements
// [i, min(i + 8, n)).
inline __m256i LanesFrom(int i, int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n - i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Elements [i, min(i + 8, n)) of p, zeros in the other lanes; nothing past
// them is read.
inline __m256 LoadFrom(const float* p, int i, int n) {
  return n - i >= 8 ? _mm256_loadu_ps(p + i) : _mm256_maskload_ps(p + i, LanesFrom(i, n));
}

// Stores the lanes of elements [i, min(i + 8, n)) of v at p + i. Only a tail
// takes a masked store, which is slow (microcoded) on AMD.
inline void StoreFrom(float* p, int i, int n, __m256 v) {
  if (n - i >= 8) {
    _mm256_storeu_ps(p + i, v);
  } else {
    _mm256_maskstore_ps(p + i, LanesFrom(i, n), v);
  }
}

inline Lanes16 Zero16() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }

inline Lanes16 Load16(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
inline Lanes16 Load16(const uint16_t* p) {
  return {_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
          _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)))};
}

// The first `count` values (count < 16), zeros in the other lanes; nothing
// past them is read.
template <typename T>
inline Lanes16 Load16(const T* p, int count) {
  alignas(32) T padded[16] = {};
  std::memcpy(padded, p, count * sizeof(T));
  return Load16(padded);
}

inline void Store16(float* p, Lanes16 v) {
  _mm256_storeu_ps(p, v.lo);
  _mm256_storeu_ps(p + 8, v.hi);
}
// Stores the first `count` lanes (count < 16).
inline void Store16(float* p, Lanes16 v, int count) {
  alignas(32) float all[16];
  Store16(all, v);
  std::memcpy(p, all, count * sizeof(float));
}

inline Lanes16 Fma16(Lanes16 a, Lanes16 b, Lanes16 c) {
  return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
}

// acc[l] + acc[l + w] for w = 8 (the two registers), 4, 2, 1, then lane 0.
inline float SumLanes(Lanes16 acc) {
  const __m256 w8 = _mm256_add_ps(acc.lo, acc.hi);
  const __m128 w4 = _mm_add_ps(_mm256_castps256_ps128(w8), _mm256_extractf128_ps(w8, 1));
  const __m128 w2 = _mm_add_ps(w4, _mm_movehl_ps(w4, w4));
  const __m128 w1 = _mm_add_ss(w2, _mm_movehdup_ps(w2));
  return _mm_cvtss_f32(w1);
}

// out[r][t] = dot16(x[t], row[r]) over n values for R rows of type Row
// (float or f16) at rows + r * row_stride and T float vectors at
// x + t * x_stride. Each converted row vector serves all T vectors, and the
// 2 * R * T accumulator registers are independent chains that hide the fma
// latency. kStreamRows: the rows are read once from memory, and the caller
// reads the next R rows (from rows + R * row_stride) next: each row's stream
// is prefetched ahead (prefetch.h), which changes no result.
template <int R, int T, typename Row, bool kStreamRows = false>
inline void Dot16Block(const Row* rows, size_t row_stride, const float* x, size_t x_stride, int n,
                       float (&out)[R][T]) {
  Lanes16 acc[R][T];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = Zero16();
  }
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    if constexpr (kStreamRows) {
      PrefetchRowStreams<R>(rows, row_stride * sizeof(Row), i * sizeof(Row));
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const Lanes16 w = Load16(rows + r * row_stride + i);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) acc[r][t] = Fma16(Load16(x + t * x_stride + i), w, acc[r][t]);
    }
  }
  if (i < n) {  // both operands zero-padded: fma(0, 0, acc) = acc
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const Lanes16 w = Load16(rows + r * row_stride + i, n - i);
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        acc[r][t] = Fma16(Load16(x + t * x_stride + i, n - i), w, acc[r][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) out[r][t] = SumLanes(acc[r][t]);
  }
}

}  // namespace bitbrain::kernels::avx2

#endif  // BITBRAIN_KERNELS_AVX2_LANES16_H_
