// The ternary matmul with vpmaddubsw over I2_S blocks interleaved by row in
// groups of 4 (kernels/ternary_layout.h), each group one sequential stream.
//
// A row's 32-byte block decodes into vectors of 32 codes (t + 1: 0, 1, 2),
// each the unsigned operand of vpmaddubsw against 32 q of one token; the
// 16-bit sums accumulate over as many blocks as cannot overflow (bounds at
// each decoder), then widen with vpmaddwd into 32-bit lanes, summed across at
// the end. Then sum(code * q) - sum(q) = sum(t * q), exactly.
//
// Decoding costs instructions that GEMV (one token) pays per weight byte and
// GEMM shares among the tokens of a block, so each has its own block shape:
// GEMV takes 4 rows per activation load and prefetches its stream of weights;
// GEMM a few rows x several tokens, so that each decoded vector serves every
// token of the block.
#include <immintrin.h>

#include "kernels/avx2/avx2.h"
#include "kernels/prefetch.h"
#include "kernels/ternary_layout.h"

namespace bitbrain::kernels::avx2 {
namespace {

constexpr int kGroupRows = 4;  // rows per group of both layouts
constexpr int kBlockBytes = 32;

#define BITBRAIN_INLINE inline __attribute__((always_inline))

// I2_S blocks: byte p holds the codes of columns p, 32+p, 64+p, 96+p in bits
// 7:6, 5:4, 3:2, 1:0. One shift by 4 and four masks: bits 1:0 and (>> 4) 5:4
// are codes, bits 3:2 and (>> 4) 7:6 are 4 x codes, which go to a second
// accumulator (kind 1) so that no more shifts are needed. Widening weighs
// kind 0 by 4 and kind 1 by 1: the 32-bit sums hold 4 x the dot product.
// Bound: a kind-1 lane gains at most 2 x 2 x 8 x 128 = 4096 per block, so 8
// blocks stay within [-32768, 32512] even for q = -128 (which quantization
// never yields). For GEMV, where decoding is paid per weight.
struct TwoBitFewShifts {
  static constexpr int kColumns = 128;  // per block
  static constexpr int kKinds = 2;
  static constexpr int16_t kWidenWeight[kKinds] = {4, 1};
  static constexpr int kResultShift = 2;
  static constexpr int kWidenBlocks = 8;

  template <typename Emit>
  static BITBRAIN_INLINE void Decode(__m256i bits, Emit&& emit) {
    const __m256i low = _mm256_set1_epi8(0x03);
    const __m256i high = _mm256_set1_epi8(0x0C);
    const __m256i shifted = _mm256_srli_epi16(bits, 4);
    emit(1, _mm256_and_si256(shifted, high), 0);
    emit(0, _mm256_and_si256(shifted, low), 32);
    emit(1, _mm256_and_si256(bits, high), 64);
    emit(0, _mm256_and_si256(bits, low), 96);
  }
};

// The same blocks, decoded into plain codes with three shifts: one
// accumulator per row and token, which leaves registers for more tokens. A
// lane gains at most 4 x 2 x 2 x 128 = 2048 per block: 16 blocks. For GEMM.
struct TwoBitPlain {
  static constexpr int kColumns = 128;
  static constexpr int kKinds = 1;
  static constexpr int16_t kWidenWeight[kKinds] = {1};
  static constexpr int kResultShift = 0;
  static constexpr int kWidenBlocks = 16;

  template <typename Emit>
  static BITBRAIN_INLINE void Decode(__m256i bits, Emit&& emit) {
    const __m256i low = _mm256_set1_epi8(0x03);
    emit(0, _mm256_and_si256(_mm256_srli_epi16(bits, 6), low), 0);
    emit(0, _mm256_and_si256(_mm256_srli_epi16(bits, 4), low), 32);
    emit(0, _mm256_and_si256(_mm256_srli_epi16(bits, 2), low), 64);
    emit(0, _mm256_and_si256(bits, low), 96);
  }
};

// An empty asm that claims to change v. Without it GCC reassociates each
// accumulator's chain of adds to compute all products of a block first, which
// needs more than 16 registers and spills.
BITBRAIN_INLINE void KeepChain(__m256i& v) { __asm__("" : "+x"(v)); }

BITBRAIN_INLINE int32_t SumLanes(__m256i v) {
  const __m128i half = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i quarter = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0x4E));
  return _mm_cvtsi128_si32(_mm_add_epi32(quarter, _mm_shuffle_epi32(quarter, 0xB1)));
}

// Computes rows [row0, row0 + kRows) (those below row_end) for tokens
// [token0, token0 + kTokens). The rows lie in one group.
template <typename Decoder, int kRows, int kTokens>
void Block(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x, int row0,
           int row_end, int token0, float* y, size_t y_stride) {
  const int blocks = cols / Decoder::kColumns;
  constexpr size_t kGroupStep = kGroupRows * kBlockBytes;  // bytes per block of a group
  const uint8_t* first = packed + static_cast<size_t>(row0 / kGroupRows) * blocks * kGroupStep +
                         row0 % kGroupRows * kBlockBytes;
  const int8_t* q[kTokens];
#pragma GCC unroll 8
  for (int t = 0; t < kTokens; ++t) q[t] = x.q + (token0 + t) * x.q_stride;

  __m256i acc[kTokens][kRows];
#pragma GCC unroll 8
  for (int t = 0; t < kTokens; ++t) {
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) acc[t][r] = _mm256_setzero_si256();
  }
  for (int widen0 = 0; widen0 < blocks; widen0 += Decoder::kWidenBlocks) {
    const int widen_end =
        widen0 + Decoder::kWidenBlocks < blocks ? widen0 + Decoder::kWidenBlocks : blocks;
    __m256i acc16[Decoder::kKinds][kTokens][kRows];
#pragma GCC unroll 2
    for (int kind = 0; kind < Decoder::kKinds; ++kind) {
#pragma GCC unroll 8
      for (int t = 0; t < kTokens; ++t) {
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) acc16[kind][t][r] = _mm256_setzero_si256();
      }
    }
    for (int block = widen0; block < widen_end; ++block) {
      const int k0 = block * Decoder::kColumns;
      const uint8_t* bits = first + block * kGroupStep;
      // One token reads each weight once: keep memory busy ahead of the
      // group's stream (prefetch.h). GEMM reuses weights among its tokens.
      if constexpr (kTokens == 1) PrefetchLines<kGroupStep>(bits + kGroupStreamPrefetchBytes);
#pragma GCC unroll 4
      for (int r = 0; r < kRows; ++r) {
        const __m256i data =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bits + r * kBlockBytes));
        Decoder::Decode(data, [&](int kind, __m256i codes, int offset)
                                  __attribute__((always_inline)) {
#pragma GCC unroll 8
          for (int t = 0; t < kTokens; ++t) {
            const __m256i q32 =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[t] + k0 + offset));
            acc16[kind][t][r] =
                _mm256_add_epi16(acc16[kind][t][r], _mm256_maddubs_epi16(codes, q32));
            KeepChain(acc16[kind][t][r]);
          }
        });
      }
    }
#pragma GCC unroll 2
    for (int kind = 0; kind < Decoder::kKinds; ++kind) {
      const __m256i weight = _mm256_set1_epi16(Decoder::kWidenWeight[kind]);
#pragma GCC unroll 8
      for (int t = 0; t < kTokens; ++t) {
#pragma GCC unroll 4
        for (int r = 0; r < kRows; ++r) {
          acc[t][r] = _mm256_add_epi32(acc[t][r], _mm256_madd_epi16(acc16[kind][t][r], weight));
        }
      }
    }
  }

#pragma GCC unroll 8
  for (int t = 0; t < kTokens; ++t) {
    const int32_t q_sum = x.q_sum[token0 + t];
    const float scale = x.scale[token0 + t];
    float* out = y + (token0 + t) * y_stride;
#pragma GCC unroll 4
    for (int r = 0; r < kRows; ++r) {
      if (row0 + r >= row_end) break;
      const int32_t dot = (SumLanes(acc[t][r]) >> Decoder::kResultShift) - q_sum;
      out[row0 + r] = (static_cast<float>(dot) / scale) * w_scale;
    }
  }
}

// Tokens [token0, token0 + tokens) with tokens < kTokens, in one block.
template <typename Decoder, int kRows, int kTokens>
void FewTokens(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
               int row0, int row_end, int token0, int tokens, float* y, size_t y_stride) {
  if constexpr (kTokens > 1) {
    if (tokens == kTokens - 1) {
      Block<Decoder, kRows, kTokens - 1>(packed, cols, w_scale, x, row0, row_end, token0, y,
                                          y_stride);
    } else {
      FewTokens<Decoder, kRows, kTokens - 1>(packed, cols, w_scale, x, row0, row_end, token0,
                                             tokens, y, y_stride);
    }
  }
}

// GEMV: 4 rows per block. GEMM: blocks of kGemmRows x kGemmTokens, over
// tiles of kTokenTile tokens whose activations stay in the L2 cache while
// the rows stream past (24 x 6912 bytes: 166 KB).
template <typename GemvDecoder, typename GemmDecoder, int kGemmRows, int kGemmTokens>
void Matmul(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
            int row_begin, int row_end, float* y, size_t y_stride) {
  static_assert(kGroupRows % kGemmRows == 0, "GEMM blocks must not straddle row groups");
  constexpr int kTokenTile = 24;
  static_assert(kTokenTile % kGemmTokens == 0);
  if (x.tokens == 1) {
    for (int group0 = row_begin; group0 < row_end; group0 += kGroupRows) {
      Block<GemvDecoder, kGroupRows, 1>(packed, cols, w_scale, x, group0, row_end, 0, y, y_stride);
    }
    return;
  }
  for (int tile0 = 0; tile0 < x.tokens; tile0 += kTokenTile) {
    const int tile_end = tile0 + kTokenTile < x.tokens ? tile0 + kTokenTile : x.tokens;
    for (int row0 = row_begin; row0 < row_end; row0 += kGemmRows) {
      int t = tile0;
      for (; t + kGemmTokens <= tile_end; t += kGemmTokens) {
        Block<GemmDecoder, kGemmRows, kGemmTokens>(packed, cols, w_scale, x, row0, row_end, t, y,
                                                   y_stride);
      }
      FewTokens<GemmDecoder, kGemmRows, kGemmTokens>(packed, cols, w_scale, x, row0, row_end, t,
                                                     tile_end - t, y, y_stride);
    }
  }
}

}  // namespace

size_t TernaryPackedBytes(int rows, int cols) { return GroupedLayoutBytes(rows, cols, kGroupRows); }

void TernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out) {
  PackBlockInterleaved(i2s, rows, cols, kGroupRows, out);
}

void TernaryMatmul(const uint8_t* packed, int /*rows*/, int cols, float w_scale,
                   const QuantizedActivations& x, int row_begin, int row_end, float* y,
                   size_t y_stride) {
  Matmul<TwoBitFewShifts, TwoBitPlain, 4, 2>(packed, cols, w_scale, x, row_begin, row_end, y,
                                             y_stride);
}

}  // namespace bitbrain::kernels::avx2
