// Ternary matmul with vpmaddubsw over I2_S blocks interleaved by groups of 4
// rows (kernels/ternary_layout.h), so that a group is one sequential stream.
//
// Byte p of a 128-column I2_S block holds columns p, 32+p, 64+p, 96+p of one
// row in bits 7:6, 5:4, 3:2, 1:0, so (block >> (6 - 2s)) & 3 is a vector of
// the codes (t + 1) of columns 32s .. 32s+31: the unsigned operand of
// vpmaddubsw against q[32s .. 32s+31] (|pair sum| <= 512: no saturation).
// The 16-bit sums accumulate over 1024 columns (|sum| <= 16384), then widen
// with vpmaddwd into 32-bit lanes, which are summed across at the end. Then
// sum(code * q) - sum(q) = sum(t * q), exactly. Blocks of 4 rows x 2 tokens
// keep their 8 accumulators in the 16 ymm registers; each unpacked weight
// vector serves both tokens.
#include <immintrin.h>


#include "kernels/avx2/avx2.h"
#include "kernels/formats/i2s.h"
#include "kernels/ternary_layout.h"

namespace bitbrain::kernels::avx2 {
namespace {

constexpr int kRows = 4;  // rows per group: one vector of 4 results
constexpr size_t kGroupStep = kRows * i2s::kBlockBytes;  // bytes per 128 columns
constexpr int kWidenColumns = 1024;  // columns between 16-bit -> 32-bit widenings

// The sums of the 8 lanes of each of a, b, c, d, as 4 lanes.
__m128i Sum4(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i pairs = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
  return _mm_add_epi32(_mm256_castsi256_si128(pairs), _mm256_extracti128_si256(pairs, 1));
}

// An empty asm that claims to change v. Without it GCC reassociates each
// accumulator's chain of adds to compute all products of a block first, which
// needs more than 16 registers and spills (measured with llvm-mca: 35 instead
// of 25 cycles per block of 4 rows x 128 columns x 2 tokens).
void KeepChain(__m256i& v) { __asm__("" : "+x"(v)); }

// Computes rows [row0, row0 + 4) (clipped to row_end) for tokens
// [token0, token0 + kTokens).
template <int kTokens>
void Block(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
           int row0, int row_end, int token0, float* y, size_t y_stride) {
  const uint8_t* group = packed + static_cast<size_t>(row0) * cols / 4;
  const int8_t* q[kTokens];
#pragma GCC unroll 8
  for (int t = 0; t < kTokens; ++t) q[t] = x.q + (token0 + t) * x.q_stride;

  const __m256i low2 = _mm256_set1_epi8(3);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[kTokens][kRows];
#pragma GCC unroll 8
  for (int t = 0; t < kTokens; ++t) {
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) acc[t][r] = _mm256_setzero_si256();
  }
  for (int widen0 = 0; widen0 < cols; widen0 += kWidenColumns) {
    const int widen_end = widen0 + kWidenColumns < cols ? widen0 + kWidenColumns : cols;
    __m256i acc16[kTokens][kRows];
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) {
#pragma GCC unroll 4
      for (int r = 0; r < kRows; ++r) acc16[t][r] = _mm256_setzero_si256();
    }
    for (int k0 = widen0; k0 < widen_end; k0 += 128) {
      const uint8_t* blocks = group + k0 / 128 * kGroupStep;
      __m256i bits[kRows];
#pragma GCC unroll 4
      for (int r = 0; r < kRows; ++r) {
        bits[r] = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(blocks + r * i2s::kBlockBytes));
      }
#pragma GCC unroll 4
      for (int s = 0; s < 4; ++s) {
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) {
          const __m256i codes = _mm256_and_si256(_mm256_srli_epi16(bits[r], 6 - 2 * s), low2);
#pragma GCC unroll 8
          for (int t = 0; t < kTokens; ++t) {
            const __m256i q32 =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[t] + k0 + 32 * s));
            acc16[t][r] = _mm256_add_epi16(acc16[t][r], _mm256_maddubs_epi16(codes, q32));
            KeepChain(acc16[t][r]);
          }
        }
      }
    }
#pragma GCC unroll 8
    for (int t = 0; t < kTokens; ++t) {
#pragma GCC unroll 4
      for (int r = 0; r < kRows; ++r) {
        acc[t][r] = _mm256_add_epi32(acc[t][r], _mm256_madd_epi16(acc16[t][r], ones));
      }
    }
  }

  const int valid = row_end - row0 < kRows ? row_end - row0 : kRows;
  const __m128 w = _mm_set1_ps(w_scale);
#pragma GCC unroll 8
  for (int t = 0; t < kTokens; ++t) {
    const __m128i dot = _mm_sub_epi32(Sum4(acc[t][0], acc[t][1], acc[t][2], acc[t][3]),
                                      _mm_set1_epi32(x.q_sum[token0 + t]));
    const __m128 scaled = _mm_div_ps(_mm_cvtepi32_ps(dot), _mm_set1_ps(x.scale[token0 + t]));
    const __m128 out = _mm_mul_ps(scaled, w);
    float* dst = y + (token0 + t) * y_stride + row0;
    if (valid == kRows) {
      _mm_storeu_ps(dst, out);
    } else {
      alignas(16) float lanes[kRows];
      _mm_store_ps(lanes, out);
      for (int r = 0; r < valid; ++r) dst[r] = lanes[r];
    }
  }
}

// Tokens [token0, token0 + tokens) with tokens < kTokens, in one block.
template <int kTokens>
void FewTokens(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
               int row0, int row_end, int token0, int tokens, float* y, size_t y_stride) {
  if constexpr (kTokens > 1) {
    if (tokens == kTokens - 1) {
      Block<kTokens - 1>(packed, cols, w_scale, x, row0, row_end, token0, y, y_stride);
    } else {
      FewTokens<kTokens - 1>(packed, cols, w_scale, x, row0, row_end, token0, tokens, y, y_stride);
    }
  }
}

}  // namespace

size_t TernaryPackedBytes(int rows, int cols) { return GroupedLayoutBytes(rows, cols, kRows); }

void TernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out) {
  PackBlockInterleaved(i2s, rows, cols, kRows, out);
}

void TernaryMatmul(const uint8_t* packed, int /*rows*/, int cols, float w_scale,
                   const QuantizedActivations& x, int row_begin, int row_end, float* y,
                   size_t y_stride) {
  constexpr int kTokens = 2;
  for (int row0 = row_begin; row0 < row_end; row0 += kRows) {
    int t = 0;
    for (; t + kTokens <= x.tokens; t += kTokens) {
      Block<kTokens>(packed, cols, w_scale, x, row0, row_end, t, y, y_stride);
    }
    FewTokens<kTokens>(packed, cols, w_scale, x, row0, row_end, t, x.tokens - t, y, y_stride);
  }
}

}  // namespace bitbrain::kernels::avx2
