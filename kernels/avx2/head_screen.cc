// The LM head's int8 screening copy and the integer screening product
// (kernels.h, HeadScreenQuantizeFn and HeadScreenFn).
//
// Quantizing: 8 f16 values per step (F16C), the row read twice (the second
// pass from L1): once for its maximum and finiteness, once to round, store
// the codes and accumulate the f64 error in the contract's 4 lanes.
//
// Screening: blocks of a row group (4 rows, one stream, prefetched ahead:
// prefetch.h) x 2 vectors, the accumulators in registers (the loops over
// them fully unrolled); rows outside whole groups one at a time. vpmaddubsw multiplies unsigned by signed bytes, so each step
// takes |code| and q with the code's sign (vpsign): pairs of products stay
// within +-2 * 127 * 127, no saturation; vpmaddwd widens the pairs to int32.
// (Codes or q of 7 bits would let vpmaddubsw take an offset code unsigned,
// without vpabs/vpsign, but the coarser copy loosens the bound so much that
// the 2B4T-shaped model's candidates per step grow from ~400 to ~3000-3800.)
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/prefetch.h"

namespace bitbrain::kernels::avx2 {
namespace {

// 8 f16 values from element i of a row of n, zeros past n.
__m128i LoadF16x8(const uint16_t* row, int i, int n) {
  if (n - i >= 8) return _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + i));
  alignas(16) uint16_t padded[8] = {};
  std::memcpy(padded, row + i, (n - i) * sizeof(uint16_t));
  return _mm_load_si128(reinterpret_cast<const __m128i*>(padded));
}

float MaxLanes(__m256 x) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

int32_t SumLanes(__m256i x) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(x), _mm256_extracti128_si256(x, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// Row v (its f16 values at row); returns false if it holds an Inf or NaN.
bool QuantizeRow(const uint16_t* row, int cols, int v, int8_t* codes, size_t code_stride,
                 float* scale, int64_t* code_sq, double* error_sq) {
  const __m128i exponent = _mm_set1_epi16(0x7C00);
  const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  __m128i nonfinite = _mm_setzero_si128();
  __m256 amax8 = _mm256_setzero_ps();
  for (int i = 0; i < cols; i += 8) {
    const __m128i h = LoadF16x8(row, i, cols);
    nonfinite = _mm_or_si128(nonfinite, _mm_cmpeq_epi16(_mm_and_si128(h, exponent), exponent));
    amax8 = _mm256_max_ps(amax8, _mm256_and_ps(_mm256_cvtph_ps(h), magnitude));
  }
  if (!_mm_testz_si128(nonfinite, nonfinite)) return false;
  const float amax = MaxLanes(amax8);
  if (amax == 0) return true;
  const float c = amax / 127.0f;
  const __m256 inv = _mm256_set1_ps(127.0f / amax);
  const __m256 low = _mm256_set1_ps(-127.0f);
  const __m256 high = _mm256_set1_ps(127.0f);
  const __m256d c4 = _mm256_set1_pd(c);
  __m256d lanes = _mm256_setzero_pd();
  __m256i squares = _mm256_setzero_si256();
  for (int i = 0; i < cols; i += 8) {
    const __m256 e = _mm256_cvtph_ps(LoadF16x8(row, i, cols));
    __m256 q = _mm256_round_ps(_mm256_mul_ps(e, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm256_min_ps(_mm256_max_ps(q, low), high);
    const __m256i qi = _mm256_cvtps_epi32(q);
    squares = _mm256_add_epi32(squares, _mm256_mullo_epi32(qi, qi));
    const __m128i q16 =
        _mm_packs_epi32(_mm256_castsi256_si128(qi), _mm256_extracti128_si256(qi, 1));
    // 8 codes never straddle a 32-code chunk of the copy.
    _mm_storel_epi64(reinterpret_cast<__m128i*>(codes + HeadScreenCodeOffset(v, i, code_stride)),
                     _mm_packs_epi16(q16, q16));
    // Elements i..i+3 go to lanes 0..3, then i+4..i+7: the scalar order.
    const __m256d d_lo = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e)),
                                       _mm256_mul_pd(c4, _mm256_cvtps_pd(_mm256_castps256_ps128(q))));
    lanes = _mm256_add_pd(lanes, _mm256_mul_pd(d_lo, d_lo));
    const __m256d d_hi = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)),
                                       _mm256_mul_pd(c4, _mm256_cvtps_pd(_mm256_extractf128_ps(q, 1))));
    lanes = _mm256_add_pd(lanes, _mm256_mul_pd(d_hi, d_hi));
  }
  alignas(32) double l[4];
  _mm256_store_pd(l, lanes);
  *scale = c;
  *code_sq = SumLanes(squares);
  *error_sq = (l[0] + l[1]) + (l[2] + l[3]);
  return true;
}

struct Screen {
  const int8_t* codes;
  size_t stride;
  const int8_t* q;
  int32_t* acc;
  size_t acc_stride;

  // Rows [v, v + R) x vectors [t, t + T): R = kHeadScreenGroupRows, a whole
  // group (v a multiple of it), or R = 1.
  template <int R, int T>
  void Block(int v, int t) const {
    constexpr size_t kChunkStep = kHeadScreenGroupRows * kHeadScreenAlignment;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i sum[R][T];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
      for (int u = 0; u < T; ++u) sum[r][u] = _mm256_setzero_si256();
    }
    const int8_t* chunk = codes + HeadScreenCodeOffset(v, 0, stride);
    const int8_t* x = q + static_cast<size_t>(t) * stride;
    for (size_t i = 0; i < stride; i += kHeadScreenAlignment, chunk += kChunkStep) {
      if constexpr (R == kHeadScreenGroupRows) {
        PrefetchLines<kChunkStep>(chunk + kGroupStreamPrefetchBytes);
      }
      __m256i xs[T];
#pragma GCC unroll 2
      for (int u = 0; u < T; ++u) {
        xs[u] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + u * stride + i));
      }
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const __m256i e = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(chunk + r * kHeadScreenAlignment));
        const __m256i magnitude = _mm256_abs_epi8(e);
#pragma GCC unroll 2
        for (int u = 0; u < T; ++u) {
          const __m256i pairs = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(xs[u], e));
          sum[r][u] = _mm256_add_epi32(sum[r][u], _mm256_madd_epi16(pairs, ones));
        }
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
      for (int u = 0; u < T; ++u) acc[(t + u) * acc_stride + v + r] = SumLanes(sum[r][u]);
    }
  }

  // Rows [v, v + R) x every vector, T at a time.
  template <int R, int T>
  void Rows(int v, int vectors) const {
    int t = 0;
    for (; t + T <= vectors; t += T) Block<R, T>(v, t);
    for (; t < vectors; ++t) Block<R, 1>(v, t);
  }

  template <int T>
  void Run(int row_begin, int row_end, int vectors) const {
    constexpr int kGroup = kHeadScreenGroupRows;
    const int first_group = (row_begin + kGroup - 1) / kGroup * kGroup;
    int v = row_begin;
    for (; v < row_end && v < first_group; ++v) Rows<1, T>(v, vectors);
    for (; v + kGroup <= row_end; v += kGroup) Rows<kGroup, T>(v, vectors);
    for (; v < row_end; ++v) Rows<1, T>(v, vectors);
  }
};

}  // namespace

void HeadScreenQuantize(const uint16_t* embeddings, int cols, int row_begin, int row_end,
                        int8_t* codes, size_t code_stride, float* scale, int64_t* code_sq,
                        double* error_sq) {
  for (int v = row_begin; v < row_end; ++v) {
    for (size_t i = 0; i < code_stride; i += kHeadScreenAlignment) {
      std::memset(codes + HeadScreenCodeOffset(v, i, code_stride), 0, kHeadScreenAlignment);
    }
    scale[v] = 0;
    code_sq[v] = 0;
    error_sq[v] = 0;
    if (!QuantizeRow(embeddings + static_cast<size_t>(v) * cols, cols, v, codes, code_stride,
                     &scale[v], &code_sq[v], &error_sq[v])) {
      error_sq[v] = HUGE_VAL;  // +Inf
    }
  }
}

void HeadScreen(const int8_t* codes, size_t code_stride, const int8_t* q, int vectors,
                int row_begin, int row_end, int32_t* acc, size_t acc_stride) {
  const Screen screen{codes, code_stride, q, acc, acc_stride};
  screen.Run<2>(row_begin, row_end, vectors);
}

}  // namespace bitbrain::kernels::avx2
