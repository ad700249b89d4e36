// Ternary matmul with vpdpbusd over the row-interleaved layout
// (kernels/ternary_layout.h, groups of 16 rows).
//
// One 64-byte chunk holds 16 rows x 16 columns; (chunk >> 2s) & 3 gives, for
// step s, the codes (t + 1) of 16 rows x 4 columns, and
// vpdpbusd(acc, codes, broadcast(q[k0+4s .. k0+4s+3])) adds each row's four
// code * q products to its 32-bit lane. At the end, sum(code * q) - sum(q) =
// sum(t * q), exactly. A block of row groups x tokens is register-blocked so
// that each unpacked chunk serves several tokens.
#include <immintrin.h>

#include <cstring>

#include "kernels/avx512/avx512.h"
#include "kernels/ternary_layout.h"

namespace bitbrain::kernels::avx512 {
namespace {

constexpr int kGroupRows = 16;
constexpr int kChunkBytes = kGroupRows * 4;

__m512i Broadcast4(const int8_t* q) {
  int32_t four;
  std::memcpy(&four, q, sizeof four);
  return _mm512_set1_epi32(four);
}

// Computes rows [row0, row0 + 16 * kGroups) (clipped to row_end) for tokens
// [token0, token0 + kTokens).
template <int kGroups, int kTokens>
void Block(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
           int row0, int row_end, int token0, float* y, size_t y_stride) {
  const size_t group_bytes = static_cast<size_t>(kGroupRows) * cols / 4;
  const uint8_t* groups = packed + (row0 / kGroupRows) * group_bytes;
  const int8_t* q[kTokens];
#pragma GCC unroll 16
  for (int t = 0; t < kTokens; ++t) q[t] = x.q + (token0 + t) * x.q_stride;

  __m512i acc[kGroups][kTokens];
#pragma GCC unroll 16
  for (int g = 0; g < kGroups; ++g) {
#pragma GCC unroll 16
    for (int t = 0; t < kTokens; ++t) acc[g][t] = _mm512_setzero_si512();
  }
  const __m512i low2 = _mm512_set1_epi8(3);
  for (int k0 = 0, chunk = 0; k0 < cols; k0 += kChunkColumns, ++chunk) {
    __m512i bits[kGroups];
#pragma GCC unroll 16
    for (int g = 0; g < kGroups; ++g) {
      bits[g] = _mm512_loadu_si512(groups + g * group_bytes + chunk * kChunkBytes);
    }
#pragma GCC unroll 4
    for (int s = 0; s < 4; ++s) {
      __m512i codes[kGroups];
#pragma GCC unroll 16
      for (int g = 0; g < kGroups; ++g) {
        codes[g] = _mm512_and_si512(_mm512_srli_epi16(bits[g], 2 * s), low2);
      }
#pragma GCC unroll 16
      for (int t = 0; t < kTokens; ++t) {
        const __m512i q4 = Broadcast4(q[t] + k0 + 4 * s);
#pragma GCC unroll 16
        for (int g = 0; g < kGroups; ++g) {
          acc[g][t] = _mm512_dpbusd_epi32(acc[g][t], codes[g], q4);
        }
      }
    }
  }

  const __m512 w = _mm512_set1_ps(w_scale);
#pragma GCC unroll 16
  for (int g = 0; g < kGroups; ++g) {
    const int first = row0 + g * kGroupRows;
    if (first >= row_end) break;
    const int valid = row_end - first < kGroupRows ? row_end - first : kGroupRows;
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
template <int kGroups, int kTokens>
void FewTokens(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
               int row0, int row_end, int token0, int tokens, float* y, size_t y_stride) {
  if constexpr (kTokens > 1) {
    if (tokens == kTokens - 1) {
      Block<kGroups, kTokens - 1>(packed, cols, w_scale, x, row0, row_end, token0, y, y_stride);
    } else {
      FewTokens<kGroups, kTokens - 1>(packed, cols, w_scale, x, row0, row_end, token0, tokens, y,
                                      y_stride);
    }
  }
}

// All tokens for rows [row0, row0 + 16 * kGroups): blocks of kTokens tokens,
// then one block of the rest.
template <int kGroups, int kTokens>
void Rows(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
          int row0, int row_end, float* y, size_t y_stride) {
  int t = 0;
  for (; t + kTokens <= x.tokens; t += kTokens) {
    Block<kGroups, kTokens>(packed, cols, w_scale, x, row0, row_end, t, y, y_stride);
  }
  FewTokens<kGroups, kTokens>(packed, cols, w_scale, x, row0, row_end, t, x.tokens - t, y,
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
  constexpr int kGroups = kTernaryRowTile / kGroupRows;
  int row0 = row_begin;
  if (x.tokens == 1) {
    for (; row0 + kTernaryRowTile <= row_end; row0 += kTernaryRowTile) {
      Block<kGroups, 1>(packed, cols, w_scale, x, row0, row_end, 0, y, y_stride);
    }
    for (; row0 < row_end; row0 += kGroupRows) {
      Block<1, 1>(packed, cols, w_scale, x, row0, row_end, 0, y, y_stride);
    }
    return;
  }
  // Several tokens: 2 row groups by 8 tokens = 16 accumulators of the 32 zmm
  // registers; each unpacked chunk serves 8 tokens.
  for (; row0 + 2 * kGroupRows <= row_end; row0 += 2 * kGroupRows) {
    Rows<2, 8>(packed, cols, w_scale, x, row0, row_end, y, y_stride);
  }
  for (; row0 < row_end; row0 += kGroupRows) {
    Rows<1, 8>(packed, cols, w_scale, x, row0, row_end, y, y_stride);
  }
}

}  // namespace bitbrain::kernels::avx512
