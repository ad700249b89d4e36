// The compact ternary matmul over triples (kernels/ternary_layout.h): no
// decoding and no multiplication per weight. For each triple of columns and
// each token, a table holds the activations' sum for each of the 14 canonical
// triples; one vpshufb looks up 32 rows' sums at once, and vpsignb applies
// their signs.
//
// Exactness: a sum of three int8 activations needs 10 bits, a vpshufb entry
// has 8. So q = 16 qh + ql with ql = ((q + 8) & 15) - 8 (-8..7) and
// qh = (q - ql) / 16 (-8..8 for q in -128..127), and each triple has two
// tables, TL of the ql sums and TH of the qh sums (each within +-24). Four
// triples' lookups add up in bytes (+-96); vpmaddubsw with the byte weights
// (1, 16) then forms l + 16 h (within +-1632) in 16-bit lanes, which take 8
// steps (16 such sums, within +-26112) before widening to 32 bits. The
// result is sum(t * q), exactly: the same integer as every other layout's.
//
// Tables cost ~10 instructions per triple and token (two triples per vector),
// which a GEMV repays over all its rows; each thread keeps the last ones it
// built (with the q they came from), since a matmul's row chunks, and the
// several matrices that read one input, all use the same.
//
// With many tokens (GEMM: prefill, batched decoding) lookups per token cost
// more than decoding once: each block of 32 rows is decoded into byte codes
// (t + 1: 0, 1, 2), two columns side by side per row, and vpmaddubsw
// multiplies them with each token's activation pairs, as the 2-bit kernel
// does; sum(code * q) - sum(q) = sum(t * q), the same integer.
#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/avx2/avx2.h"
#include "kernels/prefetch.h"
#include "kernels/ternary_layout.h"

namespace bitbrain::kernels::avx2 {
namespace {

constexpr int kBlocks = kTripleGroupRows / kTripleBlockRows;  // blocks per group
constexpr int kTableBytes = 32;                               // TL then TH, per triple
constexpr int kWidenSteps = 8;
constexpr int kTokenTile = 8;  // tokens whose tables stay in L2 while rows pass
// From this many tokens on, decoding once beats lookups per token. Measured
// on Zen 3 (bench/kernels, 1 thread, 3 shapes of 2B4T, medians of 3): at 8
// tokens the lookups took 20-30% less time; at 32, decoding took 16% less to
// 3% more; at 128, 4-7% less on two shapes and as much on the third. End to
// end, pp128 on 2 threads ran ~25% faster with decoding.
constexpr int kDecodeMinTokens = 16;

#define BITBRAIN_INLINE inline __attribute__((always_inline))

size_t TableBytes(int cols) {
  return static_cast<size_t>(TripleSteps(cols)) * kTriplesPerStep * kTableBytes;
}

// Column j of kTriples over the 16 table entries (14 and 15 unused: 0).
struct TripleWeights {
  alignas(16) int8_t column[3][16];
};
constexpr TripleWeights MakeTripleWeights() {
  TripleWeights weights{};
  for (int i = 0; i < kCanonicalTriples; ++i) {
    for (int j = 0; j < 3; ++j) weights.column[j][i] = kTriples[i][j];
  }
  return weights;
}
constexpr TripleWeights kTripleWeights = MakeTripleWeights();

// Splits 32 activations q into ql = ((q + 8) & 15) - 8 and qh = (q - ql) / 16
// (the file comment), in bytes: q & 15 is right in any byte arithmetic, and
// qh = floor(q / 16) + (bit 3 of q), with floor(q / 16) = ((q ^ 0x80) >> 4) - 8
// from a logical shift (AVX2 shifts no bytes arithmetically).
BITBRAIN_INLINE void SplitActivations(__m256i q, __m256i* low, __m256i* high) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i eight = _mm256_set1_epi8(8);
  *low = _mm256_sub_epi8(_mm256_and_si256(_mm256_add_epi8(q, eight), nibble), eight);
  const __m256i biased = _mm256_xor_si256(q, _mm256_set1_epi8(static_cast<char>(0x80)));
  const __m256i floor16 =
      _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(biased, 4), nibble), eight);
  const __m256i bit3 = _mm256_and_si256(_mm256_srli_epi16(q, 3), _mm256_set1_epi8(1));
  *high = _mm256_add_epi8(floor16, bit3);
}

// The scratch BuildTables needs for the two parts of cols activations, each
// zero-padded to the triples' columns and 32 bytes more (its 16-byte loads).
size_t SplitBytes(int cols) {
  return 2 * (static_cast<size_t>(3 * TripleSteps(cols) * kTriplesPerStep) + 32);
}

// Writes the tables of one token's cols activations q. Two triples at a
// time, one per 128-bit lane: each lane broadcasts its triple's three
// activations (vpshufb) and adds them, signed by the columns of kTriples
// (vpsignb by -1, 0 or 1 multiplies by it). `split` is SplitBytes(cols)
// bytes of scratch.
void BuildTables(const int8_t* q, int cols, int8_t* split, int8_t* tables) {
  const int triples = TripleSteps(cols) * kTriplesPerStep;
  const size_t padded = static_cast<size_t>(3 * triples) + 32;  // each part, zero past cols
  int8_t* low_part = split;
  int8_t* high_part = split + padded;
  for (int i = 0; i < cols; i += 32) {  // cols is a multiple of 128
    __m256i low, high;
    SplitActivations(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i)), &low, &high);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(low_part + i), low);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(high_part + i), high);
  }
  std::memset(low_part + cols, 0, padded - cols);
  std::memset(high_part + cols, 0, padded - cols);

  __m256i weight[3], lane_column[3];
  for (int j = 0; j < 3; ++j) {
    weight[j] = _mm256_broadcastsi128_si256(
        _mm_load_si128(reinterpret_cast<const __m128i*>(kTripleWeights.column[j])));
    // Lane 0 picks byte j (the first triple's column j), lane 1 byte 3 + j.
    lane_column[j] = _mm256_setr_m128i(_mm_set1_epi8(static_cast<char>(j)),
                                       _mm_set1_epi8(static_cast<char>(3 + j)));
  }
  for (int g = 0; g < triples; g += 2, tables += 2 * kTableBytes) {
    __m256i sums[2];  // the low, then the high parts' tables of triples g | g + 1
#pragma GCC unroll 2
    for (int part = 0; part < 2; ++part) {
      const __m256i activations = _mm256_broadcastsi128_si256(_mm_loadu_si128(
          reinterpret_cast<const __m128i*>((part == 0 ? low_part : high_part) + 3 * g)));
      sums[part] = _mm256_setzero_si256();
#pragma GCC unroll 3
      for (int j = 0; j < 3; ++j) {
        sums[part] = _mm256_add_epi8(
            sums[part],
            _mm256_sign_epi8(_mm256_shuffle_epi8(activations, lane_column[j]), weight[j]));
      }
    }
    _mm256_store_si256(reinterpret_cast<__m256i*>(tables),
                       _mm256_permute2x128_si256(sums[0], sums[1], 0x20));
    _mm256_store_si256(reinterpret_cast<__m256i*>(tables + kTableBytes),
                       _mm256_permute2x128_si256(sums[0], sums[1], 0x31));
  }
}

// A 32-byte aligned buffer that grows as needed; what it held is dropped
// when it grows.
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data_); }

  int8_t* data() const { return data_; }
  // At least `bytes`.
  int8_t* Grow(size_t bytes) {
    if (bytes <= capacity_) return data_;
    std::free(data_);
    data_ = nullptr;
    capacity_ = 0;
    const size_t capacity = (bytes + 31) / 32 * 32;
    void* grown = std::aligned_alloc(32, capacity);
    if (grown == nullptr) throw std::bad_alloc();
    data_ = static_cast<int8_t*>(grown);
    capacity_ = capacity;
    return data_;
  }

 private:
  int8_t* data_ = nullptr;
  size_t capacity_ = 0;
};

// The tables of every token of the last activations this thread saw, and a
// copy of those activations, which tells whether the next call's are the same.
class TableCache {
 public:
  // The tables of x's tokens (cols activations each), TableBytes(cols) apart.
  const int8_t* For(const QuantizedActivations& x, int cols) {
    if (cols == cols_ && x.tokens == tokens_ && Same(x)) return tables_.data();
    cols_ = -1;  // until the new tables are complete
    int8_t* q_copy = q_.Grow(static_cast<size_t>(x.tokens) * cols);
    const size_t table_bytes = TableBytes(cols);
    int8_t* tables = tables_.Grow(x.tokens * table_bytes);
    int8_t* split = split_.Grow(SplitBytes(cols));
    for (int t = 0; t < x.tokens; ++t) {
      const int8_t* q = x.q + t * x.q_stride;
      std::memcpy(q_copy + static_cast<size_t>(t) * cols, q, cols);
      BuildTables(q, cols, split, tables + t * table_bytes);
    }
    cols_ = cols;
    tokens_ = x.tokens;
    return tables;
  }

 private:
  bool Same(const QuantizedActivations& x) const {
    for (int t = 0; t < x.tokens; ++t) {
      if (std::memcmp(q_.data() + static_cast<size_t>(t) * cols_, x.q + t * x.q_stride, cols_) !=
          0) {
        return false;
      }
    }
    return true;
  }

  int cols_ = -1;
  int tokens_ = 0;
  AlignedBuffer q_;
  AlignedBuffer split_;
  AlignedBuffer tables_;
};

// Adds a block's 16-bit row sums, in the order vpunpck{l,h}bw leaves rows
// (sums[0]: rows 0..7 and 16..23; sums[1]: rows 8..15 and 24..31), to the
// 32-bit dots of its rows 0..31.
BITBRAIN_INLINE void AddBlockSums(const __m256i (&sums)[2], int32_t* dots) {
#pragma GCC unroll 2
  for (int k = 0; k < 2; ++k) {
#pragma GCC unroll 2
    for (int half = 0; half < 2; ++half) {
      __m256i* out = reinterpret_cast<__m256i*>(dots + 16 * half + 8 * k);
      const __m128i rows = half == 0 ? _mm256_castsi256_si128(sums[k])
                                     : _mm256_extracti128_si256(sums[k], 1);
      _mm256_storeu_si256(out, _mm256_add_epi32(_mm256_loadu_si256(out),
                                                _mm256_cvtepi16_epi32(rows)));
    }
  }
}

// The dot products of one group's 64 rows with one token (its tables), in
// row order. The 32-bit sums live in dots, in memory: touched once per 8
// steps, they leave the registers to the 16-bit ones.
BITBRAIN_INLINE void GroupDots(const uint8_t* group, int steps, const int8_t* tables,
                               int32_t* dots) {
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i one = _mm256_set1_epi8(1);
  const __m256i low_high = _mm256_set1_epi16(0x1001);  // byte weights (1, 16)
  constexpr int kGroupStepBytes = kBlocks * kTripleStepBytes;
  std::memset(dots, 0, kTripleGroupRows * sizeof(int32_t));
  const uint8_t* p = group;
  for (int step0 = 0; step0 < steps; step0 += kWidenSteps) {
    __m256i acc16[kBlocks][2];
    for (auto& block : acc16) block[0] = block[1] = _mm256_setzero_si256();
    const int step_end = step0 + kWidenSteps < steps ? step0 + kWidenSteps : steps;
    for (int step = step0; step < step_end; ++step, p += kGroupStepBytes) {
      PrefetchLines<kGroupStepBytes>(p + kGroupStreamPrefetchBytes);
      const int8_t* table = tables + static_cast<size_t>(step) * kTriplesPerStep * kTableBytes;
#pragma GCC unroll 2
      for (int b = 0; b < kBlocks; ++b) {
        const uint8_t* block = p + b * kTripleStepBytes;
        // Each block loads the tables afresh (from L1): kept in registers for
        // both blocks, they would spill.
        const int8_t* block_table = table;
        asm volatile("" : "+r"(block_table));
        const __m256i signs =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + kTripleSignOffset));
        // Triple g's vpsignb operand has bit g of the sign byte in bit 7 and
        // is nonzero (vpsignb zeroes where its operand is 0). For g = 7 down
        // to 1 that is (signs | 1) << (7 - g), one vpaddb from the last
        // (odd, so no shift leaves it 0); g = 0 needs bit 0 itself.
        __m256i shifted_sign = _mm256_or_si256(signs, one);
#pragma GCC unroll 2
        for (int quad = 1; quad >= 0; --quad) {
          __m256i low = _mm256_setzero_si256(), high = _mm256_setzero_si256();
#pragma GCC unroll 2
          for (int pair = 2 * quad + 1; pair >= 2 * quad; --pair) {
            const __m256i bytes =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32 * pair));
#pragma GCC unroll 2
            for (int h = 1; h >= 0; --h) {
              const int g = 2 * pair + h;
              const __m256i index =
                  h == 0 ? _mm256_and_si256(bytes, nibble)
                         : _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble);
              __m256i sign;
              if (g > 0) {
                sign = shifted_sign;
                shifted_sign = _mm256_add_epi8(shifted_sign, shifted_sign);
              } else {  // a 16-bit shift: bit 7 of each byte comes from its bit 0
                sign = _mm256_or_si256(_mm256_slli_epi16(signs, 7), one);
              }
              const int8_t* triple_table = block_table + g * kTableBytes;
              const __m256i low_table = _mm256_broadcastsi128_si256(
                  _mm_load_si128(reinterpret_cast<const __m128i*>(triple_table)));
              const __m256i high_table = _mm256_broadcastsi128_si256(
                  _mm_load_si128(reinterpret_cast<const __m128i*>(triple_table + 16)));
              const __m256i low_sums = _mm256_shuffle_epi8(low_table, index);
              const __m256i high_sums = _mm256_shuffle_epi8(high_table, index);
              low = _mm256_add_epi8(low, _mm256_sign_epi8(low_sums, sign));
              high = _mm256_add_epi8(high, _mm256_sign_epi8(high_sums, sign));
            }
          }
          // Bytes (l, h) of rows 0..7 and 16..23, then 8..15 and 24..31.
          acc16[b][0] = _mm256_add_epi16(acc16[b][0],
                                         _mm256_maddubs_epi16(low_high, _mm256_unpacklo_epi8(low, high)));
          acc16[b][1] = _mm256_add_epi16(acc16[b][1],
                                         _mm256_maddubs_epi16(low_high, _mm256_unpackhi_epi8(low, high)));
        }
      }
    }
#pragma GCC unroll 2
    for (int b = 0; b < kBlocks; ++b) AddBlockSums(acc16[b], dots + b * kTripleBlockRows);
  }
}


// Rows [0, rows) of out from their dot products with a token whose
// activations have `scale`, less `offset`: (float(dot - offset) / scale) *
// w_scale, the contract's order, eight rows per vector (the same IEEE
// operations in every lane: the same bits as one row at a time, without a
// scalar division per row).
BITBRAIN_INLINE void StoreRowResults(const int32_t* dots, int32_t offset, int rows, float scale,
                                     float w_scale, float* out) {
  const __m256i offsets = _mm256_set1_epi32(offset);
  const __m256 scales = _mm256_set1_ps(scale);
  const __m256 w_scales = _mm256_set1_ps(w_scale);
  int r = 0;
  for (; r + 8 <= rows; r += 8) {
    const __m256i dot = _mm256_sub_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(dots + r)), offsets);
    _mm256_storeu_ps(out + r,
                     _mm256_mul_ps(_mm256_div_ps(_mm256_cvtepi32_ps(dot), scales), w_scales));
  }
  for (; r < rows; ++r) out[r] = (static_cast<float>(dots[r] - offset) / scale) * w_scale;
}

// ---- GEMM: decode once, then vpmaddubsw over the tokens ----------------------

// A block's codes for a chunk of columns, column pair p at p * kPairBytes:
// the (column 2p, column 2p + 1) byte pairs of rows 0..7 and 16..23, then of
// rows 8..15 and 24..31 (the order vpunpck{l,h}bw leaves them in).
constexpr int kPairBytes = 64;
constexpr int kPairsPerStep = 3 * kTriplesPerStep / 2;
// Columns are taken in chunks of 5 steps (60 pairs): a chunk's codes (3.75
// KB) stay in L1 while every token passes, and its 16-bit sums cannot
// overflow (a lane gains at most 2 x 2 x 128 = 512 per pair; 63 pairs fit).
constexpr int kChunkSteps = 5;
constexpr int kChunkPairs = kChunkSteps * kPairsPerStep;
static_assert(kChunkPairs * 2 * 2 * 128 <= 32767, "a chunk's 16-bit sums must not overflow");
constexpr int kGemmTokens = 4;  // tokens per pass over a chunk

// Decodes steps [step0, step_end) of block `block` of a group into codes.
void DecodeChunk(const uint8_t* group, int block, int step0, int step_end, uint8_t* codes) {
  __m256i column_table[3];
  for (int j = 0; j < 3; ++j) {
    column_table[j] = _mm256_broadcastsi128_si256(
        _mm_load_si128(reinterpret_cast<const __m128i*>(kTripleWeights.column[j])));
  }
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i one = _mm256_set1_epi8(1);
  for (int step = step0; step < step_end; ++step) {
    const uint8_t* p = group + (static_cast<size_t>(step) * kBlocks + block) * kTripleStepBytes;
    const __m256i signs =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + kTripleSignOffset));
    __m256i column[3 * kTriplesPerStep];
#pragma GCC unroll 8
    for (int g = 0; g < kTriplesPerStep; ++g) {
      const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32 * (g / 2)));
      const __m256i index = g % 2 == 0 ? _mm256_and_si256(bytes, nibble)
                                       : _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble);
      // Bit 7 of each byte: bit g, the triple's sign; never 0 (vpsignb
      // zeroes where its operand is 0).
      const __m256i sign = _mm256_or_si256(_mm256_slli_epi16(signs, 7 - g), one);
#pragma GCC unroll 3
      for (int j = 0; j < 3; ++j) {
        const __m256i trit = _mm256_sign_epi8(_mm256_shuffle_epi8(column_table[j], index), sign);
        column[3 * g + j] = _mm256_add_epi8(trit, one);
      }
    }
    uint8_t* out = codes + static_cast<size_t>(step - step0) * kPairsPerStep * kPairBytes;
#pragma GCC unroll 12
    for (int m = 0; m < kPairsPerStep; ++m, out += kPairBytes) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(out),
                         _mm256_unpacklo_epi8(column[2 * m], column[2 * m + 1]));
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 32),
                         _mm256_unpackhi_epi8(column[2 * m], column[2 * m + 1]));
    }
  }
}

// dots[t * kTripleBlockRows + r] += sum(code * q) over a chunk's `pairs`
// column pairs (from column 2 * pair0), for block row r and token t of
// [token0, token0 + kTokens).
template <int kTokens>
void MultiplyChunk(const uint8_t* codes, int pair0, int pairs, const QuantizedActivations& x,
                   int token0, int32_t* dots) {
  const int8_t* q = x.q + token0 * x.q_stride + 2 * pair0;
  __m256i acc[kTokens][2];
#pragma GCC unroll 4
  for (int t = 0; t < kTokens; ++t) acc[t][0] = acc[t][1] = _mm256_setzero_si256();
  for (int p = 0; p < pairs; ++p, codes += kPairBytes) {
    const __m256i first = _mm256_load_si256(reinterpret_cast<const __m256i*>(codes));
    const __m256i second = _mm256_load_si256(reinterpret_cast<const __m256i*>(codes + 32));
#pragma GCC unroll 4
    for (int t = 0; t < kTokens; ++t) {
      int16_t q_pair;
      std::memcpy(&q_pair, q + t * x.q_stride + 2 * p, sizeof(q_pair));
      const __m256i activations = _mm256_set1_epi16(q_pair);
      acc[t][0] = _mm256_add_epi16(acc[t][0], _mm256_maddubs_epi16(first, activations));
      acc[t][1] = _mm256_add_epi16(acc[t][1], _mm256_maddubs_epi16(second, activations));
    }
  }
#pragma GCC unroll 4
  for (int t = 0; t < kTokens; ++t) AddBlockSums(acc[t], dots + (token0 + t) * kTripleBlockRows);
}

void TripleGemm(const uint8_t* packed, int cols, float w_scale, const QuantizedActivations& x,
                int row_begin, int row_end, float* y, size_t y_stride) {
  thread_local AlignedBuffer code_buffer, dot_buffer;
  uint8_t* codes = reinterpret_cast<uint8_t*>(code_buffer.Grow(kChunkPairs * kPairBytes));
  int32_t* dots = reinterpret_cast<int32_t*>(
      dot_buffer.Grow(static_cast<size_t>(x.tokens) * kTripleBlockRows * sizeof(int32_t)));
  const int steps = TripleSteps(cols);
  const int pairs = cols / 2;  // cols is a multiple of 128
  const size_t group_bytes = TripleLayoutBytes(kTripleGroupRows, cols);
  for (int row0 = row_begin; row0 < row_end; row0 += kTripleGroupRows) {
    const uint8_t* group = packed + static_cast<size_t>(row0 / kTripleGroupRows) * group_bytes;
    for (int block = 0; block < kBlocks && row0 + block * kTripleBlockRows < row_end; ++block) {
      std::memset(dots, 0, static_cast<size_t>(x.tokens) * kTripleBlockRows * sizeof(int32_t));
      for (int step0 = 0; step0 < steps; step0 += kChunkSteps) {
        const int step_end = step0 + kChunkSteps < steps ? step0 + kChunkSteps : steps;
        DecodeChunk(group, block, step0, step_end, codes);
        const int pair0 = step0 * kPairsPerStep;
        const int chunk_pairs = pairs - pair0 < kChunkPairs ? pairs - pair0 : kChunkPairs;
        int token0 = 0;
        for (; token0 + kGemmTokens <= x.tokens; token0 += kGemmTokens) {
          MultiplyChunk<kGemmTokens>(codes, pair0, chunk_pairs, x, token0, dots);
        }
        for (; token0 < x.tokens; ++token0) {
          MultiplyChunk<1>(codes, pair0, chunk_pairs, x, token0, dots);
        }
      }
      const int first_row = row0 + block * kTripleBlockRows;
      const int rows = row_end - first_row < kTripleBlockRows ? row_end - first_row : kTripleBlockRows;
      for (int t = 0; t < x.tokens; ++t) {
        StoreRowResults(dots + t * kTripleBlockRows, x.q_sum[t], rows, x.scale[t], w_scale,
                        y + t * y_stride + first_row);
      }
    }
  }
}

}  // namespace

size_t CompactTernaryPackedBytes(int rows, int cols) { return TripleLayoutBytes(rows, cols); }

void CompactTernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out) {
  PackTriples(i2s, rows, cols, out);
}

void CompactTernaryMatmul(const uint8_t* packed, int /*rows*/, int cols, float w_scale,
                          const QuantizedActivations& x, int row_begin, int row_end, float* y,
                          size_t y_stride) {
  if (x.tokens >= kDecodeMinTokens) {
    TripleGemm(packed, cols, w_scale, x, row_begin, row_end, y, y_stride);
    return;
  }
  thread_local TableCache cache;
  const int8_t* tables = cache.For(x, cols);
  const size_t table_bytes = TableBytes(cols);
  const int steps = TripleSteps(cols);
  const size_t group_bytes = TripleLayoutBytes(kTripleGroupRows, cols);
  alignas(32) int32_t dots[kTripleGroupRows];
  // Token tiles outermost: a tile's tables stay in cache while its rows pass.
  for (int tile0 = 0; tile0 < x.tokens; tile0 += kTokenTile) {
    const int tile_end = tile0 + kTokenTile < x.tokens ? tile0 + kTokenTile : x.tokens;
    for (int row0 = row_begin; row0 < row_end; row0 += kTripleGroupRows) {
      const uint8_t* group = packed + static_cast<size_t>(row0 / kTripleGroupRows) * group_bytes;
      const int group_rows = row_end - row0 < kTripleGroupRows ? row_end - row0 : kTripleGroupRows;
      for (int t = tile0; t < tile_end; ++t) {
        GroupDots(group, steps, tables + t * table_bytes, dots);
        StoreRowResults(dots, 0, group_rows, x.scale[t], w_scale, y + t * y_stride + row0);
      }
    }
  }
}

}  // namespace bitbrain::kernels::avx2
