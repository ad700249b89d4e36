// Ternary matmul with vpdpbusd over the row-interleaved layout
// (kernels/ternary_layout.h) in groups of 64 rows.
//
// A group's 256-byte chunk holds 64 rows x 16 columns, as four 64-byte
// slices of 16 rows each; (slice >> 2s) & 3 gives, for step s, the codes
// (t + 1) of 16 rows x 4 columns, and vpdpbusd(acc, codes,
// broadcast(q[k0+4s .. k0+4s+3])) adds each row's four code * q products to
// its 32-bit lane. At the end, sum(code * q) - sum(q) = sum(t * q), exactly.
// A block of slices x tokens is register-blocked so that each unpacked slice
// serves several tokens. GEMV takes a group's four slices at once: one
// sequential stream, prefetched ahead (prefetch.h).
#include <immintrin.h>

#include <cstring>

#include "kernels/avx512/avx512.h"
#include "kernels/prefetch.h"
#include "kernels/ternary_layout.h"

namespace bitbrain::kernels::avx512 {
namespace {

constexpr int kGroupRows = 64;  // rows per group of the layout
constexpr int kSliceRows = 16;  // rows per vector
constexpr int kSliceBytes = kSliceRows * 4;
constexpr int kChunkBytes = kGroupRows * 4;

__m512i Broadcast4(const int8_t* q) {
  int32_t four;
  std::memcpy(&four, q, sizeof four);
  return _mm512_set1_epi32(four);
}

// Computes rows [row0, row0 + 16 * kSlices) (clipped to row_end; row0 a
// multiple of 16, the rows within one group) for tokens [token0, token0 +
// kTokens).
template <int kSlices, int kTokens>
void Block(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
           int row0, int row_end, int token0, float* y, size_t y_stride) {
  const size_t group_bytes = static_cast<size_t>(kGroupRows) * cols / 4;
  const uint8_t* slices =
      packed + (row0 / kGroupRows) * group_bytes + row0 % kGroupRows / kSliceRows * kSliceBytes;
  const int8_t* q[kTokens];
#pragma GCC unroll 16
  for (int t = 0; t < kTokens; ++t) q[t] = x.q + (token0 + t) * x.q_stride;

  __m512i acc[kSlices][kTokens];
#pragma GCC unroll 16
  for (int g = 0; g < kSlices; ++g) {
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) acc[g][t] = _mm512_setzero_si512();
  }
  const __m512i low2 = _mm512_set1_epi8(3);
  for (int k0 = 0, chunk = 0; k0 < cols; k0 += kChunkColumns, ++chunk) {
    const uint8_t* chunk_slices = slices + static_cast<size_t>(chunk) * kChunkBytes;
    // One token reads each weight once: keep memory busy ahead of the
    // group's stream (prefetch.h). Several tokens reuse the weights.
    if constexpr (kTokens == 1) {
      PrefetchLines<kSlices * kSliceBytes>(chunk_slices + kGroupStreamPrefetchBytes);
    }
    __m512i bits[kSlices];
#pragma GCC unroll 16
    for (int g = 0; g < kSlices; ++g) bits[g] = _mm512_loadu_si512(chunk_slices + g * kSliceBytes);
#pragma GCC unroll 4
    for (int s = 0; s < 4; ++s) {
      __m512i codes[kSlices];
#pragma GCC unroll 16
      for (int g = 0; g < kSlices; ++g) {
        codes[g] = _mm512_and_si512(_mm512_srli_epi16(bits[g], 2 * s), low2);
      }
#pragma GCC unroll 16
      for (int t = 0; t < kTokens; ++t) {
        const __m512i q4 = Broadcast4(q[t] + k0 + 4 * s);
#pragma GCC unroll 16
        for (int g = 0; g < kSlices; ++g) {
          acc[g][t] = _mm512_dpbusd_epi32(acc[g][t], codes[g], q4);
        }
      }
    }
  }

  const __m512 w = _mm512_set1_ps(w_scale);
#pragma GCC unroll 16
  for (int g = 0; g < kSlices; ++g) {
    const int first = row0 + g * kSliceRows;
    if (first >= row_end) break;
    const int valid = row_end - first < kSliceRows ? row_end - first : kSliceRows;
    const __mmask16 store = static_cast<__mmask16>((1u << valid) - 1);
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) {
      const __m512i dot = _mm512_sub_epi32(acc[g][t], _mm512_set1_epi32(x.q_sum[token0 + t]));
      const __m512 scaled = _mm512_div_ps(_mm512_cvtepi32_ps(dot), _mm512_set1_ps(x.scale[token0 + t]));
      _mm512_mask_storeu_ps(y + (token0 + t) * y_stride + first, store, _mm512_mul_ps(scaled, w));
    }
  }
}

// Tokens [token0, token0 + tokens) with tokens < kTokens, in one block.
template <int kSlices, int kTokens>
void FewTokens(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
               int row0, int row_end, int token0, int tokens, float* y, size_t y_stride) {
  if constexpr (kTokens > 1) {
    if (tokens == kTokens - 1) {
      Block<kSlices, kTokens - 1>(packed, cols, w_scale, x, row0, row_end, token0, y, y_stride);
    } else {
      FewTokens<kSlices, kTokens - 1>(packed, cols, w_scale, x, row0, row_end, token0, tokens, y,
                                      y_stride);
    }
  }
}

// All tokens for rows [row0, row0 + 16 * kSlices): blocks of kTokens tokens,
// then one block of the rest.
template <int kSlices, int kTokens>
void Rows(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
          int row0, int row_end, float* y, size_t y_stride) {
  int t = 0;
  for (; t + kTokens <= x.tokens; t += kTokens) {
    Block<kSlices, kTokens>(packed, cols, w_scale, x, row0, row_end, t, y, y_stride);
  }
  FewTokens<kSlices, kTokens>(packed, cols, w_scale, x, row0, row_end, t, x.tokens - t, y,
                              y_stride);
}

}  // namespace

size_t TernaryPackedBytes(int rows, int cols) {
  return GroupedLayoutBytes(rows, cols, kGroupRows);
}

void TernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out) {
  PackRowInterleaved(i2s, rows, cols, kGroupRows, out);
}

void TernaryMatmul(const uint8_t* packed, int /*rows*/, int cols, float w_scale,
                   const QuantizedActivations& x, int row_begin, int row_end, float* y,
                   size_t y_stride) {
  static_assert(kTernaryRowTile == kGroupRows, "the threads' row ranges start at groups");
  constexpr int kSlices = kGroupRows / kSliceRows;
  int row0 = row_begin;
  if (x.tokens == 1) {
    for (; row0 + kGroupRows <= row_end; row0 += kGroupRows) {
      Block<kSlices, 1>(packed, cols, w_scale, x, row0, row_end, 0, y, y_stride);
    }
    for (; row0 < row_end; row0 += kSliceRows) {
      Block<1, 1>(packed, cols, w_scale, x, row0, row_end, 0, y, y_stride);
    }
    return;
  }
  // Several tokens: 2 slices by 8 tokens = 16 accumulators of the 32 zmm
  // registers; each unpacked slice serves 8 tokens.
  for (; row0 + 2 * kSliceRows <= row_end; row0 += 2 * kSliceRows) {
    Rows<2, 8>(packed, cols, w_scale, x, row0, row_end, y, y_stride);
  }
  for (; row0 < row_end; row0 += kSliceRows) {
    Rows<1, 8>(packed, cols, w_scale, x, row0, row_end, y, y_stride);
  }
}

}  // namespace bitbrain::kernels::avx512
