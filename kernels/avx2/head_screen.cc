// The LM head's screening copy and its integer products (kernels.h,
// HeadScreenQuantizeFn, HeadScreenFn and HeadScreenFineFn).
//
// Quantizing: 8 f16 values per step (F16C), the row read twice (the second
// pass from L1): once for its maximum and finiteness, once to round, collect
// the codes and accumulate the f64 errors in the contract's 4 lanes; the codes
// are then split into the two planes (head_screen_layout.h).
//
// Screening: blocks of 128 columns of a row group (4 rows, one stream,
// prefetched ahead: prefetch.h) x 2 vectors, the accumulators in registers
// (the loops over them fully unrolled); rows outside whole groups one at a
// time. A row's block is unpacked into four 32-byte slices of its 6-bit
// values u >> 2 (a nibble and a 2-bit field each, masked and ORed); they are
// unsigned, as vpmaddubsw wants its first operand, so q is taken as it is.
// A pair of products is at most 2 * 63 * 127, so the 16-bit sums of two
// slices' vpmaddubsw stay below 2^15 before vpmaddwd widens them to int32.
// The fine product does the same on the 2-bit values u & 3 of a row at a time.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/avx2/avx2.h"
#include "kernels/prefetch.h"

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
// Its u values (head_screen_layout.h) go to u[0, cols), the rest as the
// contract says.
bool QuantizeRow(const uint16_t* row, int cols, uint8_t* u, float* scale, int64_t* code_sq,
                 double* error_sq, double* coarse_error_sq) {
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
  const __m256 quarter = _mm256_set1_ps(0.25f);
  const __m256 four = _mm256_set1_ps(4.0f);
  const __m256 coarse_offset = _mm256_set1_ps(126.5f);
  const __m256 u_offset = _mm256_set1_ps(128.0f);
  const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
  __m256d lanes = _mm256_setzero_pd();
  __m256d coarse_lanes = _mm256_setzero_pd();
  __m256i squares = _mm256_setzero_si256();
  // Adds (e - c x)^2 of elements i..i+3 to lanes 0..3, then of i+4..i+7: the
  // scalar order.
  const auto add_squares = [&](__m256 e, __m256 x, __m256d& sums) {
    const __m256d d_lo =
        _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e)),
                      _mm256_mul_pd(c4, _mm256_cvtps_pd(_mm256_castps256_ps128(x))));
    sums = _mm256_add_pd(sums, _mm256_mul_pd(d_lo, d_lo));
    const __m256d d_hi =
        _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)),
                      _mm256_mul_pd(c4, _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1))));
    sums = _mm256_add_pd(sums, _mm256_mul_pd(d_hi, d_hi));
  };
  for (int i = 0; i < cols; i += 8) {
    const __m256 e = _mm256_cvtph_ps(LoadF16x8(row, i, cols));
    __m256 q = _mm256_round_ps(_mm256_mul_ps(e, inv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    q = _mm256_min_ps(_mm256_max_ps(q, low), high);
    const __m256i qi = _mm256_cvtps_epi32(q);
    squares = _mm256_add_epi32(squares, _mm256_mullo_epi32(qi, qi));
    const __m128i q16 =
        _mm_packs_epi32(_mm256_castsi256_si128(qi), _mm256_extracti128_si256(qi, 1));
    const __m128i u16 = _mm_add_epi16(q16, _mm_set1_epi16(128));
    alignas(16) uint8_t bytes[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(bytes), _mm_packus_epi16(u16, u16));
    std::memcpy(u + i, bytes, std::min(8, cols - i));
    add_squares(e, q, lanes);
    // The coarse code 4 floor(u / 4) - 126.5, exact in f32; 0 past cols (where
    // e is 0 too), so that the padding adds nothing.
    const __m256 u_high = _mm256_floor_ps(_mm256_mul_ps(_mm256_add_ps(q, u_offset), quarter));
    const __m256 in_row =
        _mm256_cmp_ps(lane, _mm256_set1_ps(static_cast<float>(cols - i)), _CMP_LT_OQ);
    add_squares(e, _mm256_and_ps(_mm256_sub_ps(_mm256_mul_ps(u_high, four), coarse_offset), in_row),
                coarse_lanes);
  }
  alignas(32) double l[4], m[4];
  _mm256_store_pd(l, lanes);
  _mm256_store_pd(m, coarse_lanes);
  *scale = c;
  *code_sq = SumLanes(squares);
  *error_sq = (l[0] + l[1]) + (l[2] + l[3]);
  *coarse_error_sq = (m[0] + m[1]) + (m[2] + m[3]);
  return true;
}

// The four 32-column slices of a row's block, u >> 2 (coarse: the 96 bytes at
// p) or u & 3 (fine: the 32 bytes at p), as unsigned bytes.
struct Slices {
  __m256i s[4];
};

[[gnu::always_inline]] inline Slices CoarseSlices(const uint8_t* p) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i high = _mm256_set1_epi8(0x30);
  const __m256i n01 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i n23 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  const __m256i pairs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 64));
  // Slice m's two high bits (bits 2m, 2m+1 of pairs) moved to bits 4, 5.
  return {{_mm256_or_si256(_mm256_and_si256(n01, nibble),
                           _mm256_and_si256(_mm256_slli_epi16(pairs, 4), high)),
           _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(n01, 4), nibble),
                           _mm256_and_si256(_mm256_slli_epi16(pairs, 2), high)),
           _mm256_or_si256(_mm256_and_si256(n23, nibble), _mm256_and_si256(pairs, high)),
           _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(n23, 4), nibble),
                           _mm256_and_si256(_mm256_srli_epi16(pairs, 2), high))}};
}

[[gnu::always_inline]] inline Slices FineSlices(const uint8_t* p) {
  const __m256i pair = _mm256_set1_epi8(0x03);
  const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  return {{_mm256_and_si256(x, pair), _mm256_and_si256(_mm256_srli_epi16(x, 2), pair),
           _mm256_and_si256(_mm256_srli_epi16(x, 4), pair),
           _mm256_and_si256(_mm256_srli_epi16(x, 6), pair)}};
}

__m256i LoadQ(const int8_t* q) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)); }

// sum + the block's product of the slices with q (the block's 128 values):
// 16-bit sums of two slices each (no overflow, see the top), widened to int32.
[[gnu::always_inline]] inline __m256i AddProduct(__m256i sum, const Slices& x, const int8_t* q) {
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i s01 = _mm256_add_epi16(_mm256_maddubs_epi16(x.s[0], LoadQ(q)),
                                       _mm256_maddubs_epi16(x.s[1], LoadQ(q + 32)));
  const __m256i s23 = _mm256_add_epi16(_mm256_maddubs_epi16(x.s[2], LoadQ(q + 64)),
                                       _mm256_maddubs_epi16(x.s[3], LoadQ(q + 96)));
  return _mm256_add_epi32(sum, _mm256_add_epi32(_mm256_madd_epi16(s01, ones),
                                                _mm256_madd_epi16(s23, ones)));
}

struct Screen {
  const uint8_t* coarse;
  size_t stride;
  const int8_t* q;
  int32_t* acc;
  size_t acc_stride;

  // Rows [v, v + R) x vectors [t, t + T): R = kHeadScreenGroupRows, a whole
  // group (v a multiple of it), or R = 1.
  template <int R, int T>
  void Block(int v, int t) const {
    constexpr size_t kBlockStep = kHeadScreenGroupRows * kHeadScreenCoarseBlockBytes;
    __m256i sum[R][T];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
      for (int u = 0; u < T; ++u) sum[r][u] = _mm256_setzero_si256();
    }
    const uint8_t* block = coarse + HeadScreenPlaceOf(v, 0, stride).nibble;
    const int8_t* x = q + static_cast<size_t>(t) * stride;
    for (size_t i = 0; i < stride; i += kHeadScreenBlock, block += kBlockStep) {
      if constexpr (R == kHeadScreenGroupRows) {
        PrefetchLines<kBlockStep>(block + kGroupStreamPrefetchBytes);
      }
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const Slices slices = CoarseSlices(block + r * kHeadScreenCoarseBlockBytes);
#pragma GCC unroll 2
        for (int u = 0; u < T; ++u) sum[r][u] = AddProduct(sum[r][u], slices, x + u * stride + i);
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

// The fine product of row `row` with vectors [t, t + T), prefetching the
// same bytes of the row at `ahead` (if not null) as it goes.
template <int T>
void RefineRow(const uint8_t* fine, size_t stride, const int8_t* q, int t, int row,
               const uint8_t* ahead, int32_t* acc, size_t acc_stride, int j) {
  const uint8_t* p = fine + HeadScreenPlaceOf(row, 0, stride).fine;
  __m256i sum[T];
#pragma GCC unroll 2
  for (int u = 0; u < T; ++u) sum[u] = _mm256_setzero_si256();
  const int8_t* x = q + static_cast<size_t>(t) * stride;
  for (size_t i = 0, offset = 0; i < stride; i += kHeadScreenBlock, offset += 32) {
    if (ahead != nullptr && offset % kCacheLineBytes == 0) {
      _mm_prefetch(ahead + offset, _MM_HINT_T0);
    }
    const Slices slices = FineSlices(p + offset);
#pragma GCC unroll 2
    for (int u = 0; u < T; ++u) sum[u] = AddProduct(sum[u], slices, x + u * stride + i);
  }
#pragma GCC unroll 2
  for (int u = 0; u < T; ++u) acc[(t + u) * acc_stride + j] = SumLanes(sum[u]);
}

}  // namespace

void HeadScreenQuantize(const uint16_t* embeddings, int cols, int row_begin, int row_end,
                        const HeadScreenCopy& copy) {
  std::vector<uint8_t> u(copy.code_stride);
  for (int v = row_begin; v < row_end; ++v) {
    StartHeadScreenRow(copy, v, cols, u.data());
    if (!QuantizeRow(embeddings + static_cast<size_t>(v) * cols, cols, u.data(), &copy.scale[v],
                     &copy.code_sq[v], &copy.error_sq[v], &copy.coarse_error_sq[v])) {
      copy.error_sq[v] = HUGE_VAL;  // +Inf
      copy.coarse_error_sq[v] = HUGE_VAL;
    }
    StoreHeadScreenRow(u.data(), v, copy.code_stride, copy.coarse, copy.fine);
  }
}

void HeadScreen(const uint8_t* coarse, size_t code_stride, const int8_t* q, int vectors,
                int row_begin, int row_end, int32_t* acc, size_t acc_stride) {
  const Screen screen{coarse, code_stride, q, acc, acc_stride};
  screen.Run<2>(row_begin, row_end, vectors);
}

void HeadScreenRefine(const uint8_t* fine, size_t code_stride, const int8_t* q, int vectors,
                      const int32_t* rows, int count, int32_t* acc, size_t acc_stride) {
  // The rows are scattered: each is prefetched while the row kRowsAhead
  // before it is read, so that several rows' memory latencies overlap
  // (head_screen_refine on every 7th row, 1 thread: 7.0 ms without, 2.6 /
  // 2.2 / 2.0 ms 4 / 8 / 16 rows ahead). The prefetches sit in RefineRow's
  // loop: GCC 12 deleted a loop of nothing but prefetches.
  constexpr int kRowsAhead = 16;
  const auto row_bytes = [&](int j) {
    return fine + HeadScreenPlaceOf(rows[j], 0, code_stride).fine;
  };
  for (int j = 0; j < count; ++j) {
    const uint8_t* ahead = j + kRowsAhead < count ? row_bytes(j + kRowsAhead) : nullptr;
    int t = 0;
    for (; t + 2 <= vectors; t += 2, ahead = nullptr) {
      RefineRow<2>(fine, code_stride, q, t, rows[j], ahead, acc, acc_stride, j);
    }
    for (; t < vectors; ++t, ahead = nullptr) {
      RefineRow<1>(fine, code_stride, q, t, rows[j], ahead, acc, acc_stride, j);
    }
  }
}

}  // namespace bitbrain::kernels::avx2
