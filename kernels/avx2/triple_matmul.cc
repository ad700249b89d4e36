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
// Tables cost ~16 instructions per triple and token, which a GEMV repays over
// all its rows; each thread keeps the last ones it built (with the q they
// came from), since a matmul's row chunks, and the several matrices that read
// one input, all use the same.
#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/avx2/avx2.h"
#include "kernels/avx2/prefetch.h"
#include "kernels/ternary_layout.h"

namespace bitbrain::kernels::avx2 {
namespace {

constexpr int kBlocks = kTripleGroupRows / kTripleBlockRows;  // blocks per group
constexpr int kTableBytes = 32;                               // TL then TH, per triple
constexpr int kWidenSteps = 8;
constexpr int kTokenTile = 8;  // GEMM: tokens whose tables stay in L2 while rows pass

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

// Writes the tables of one token's cols activations q.
void BuildTables(const int8_t* q, int cols, int8_t* tables) {
  __m128i weight[3];
  for (int j = 0; j < 3; ++j) {
    weight[j] = _mm_load_si128(reinterpret_cast<const __m128i*>(kTripleWeights.column[j]));
  }
  const int triples = TripleSteps(cols) * kTriplesPerStep;
  for (int g = 0; g < triples; ++g, tables += kTableBytes) {
    __m128i low = _mm_setzero_si128(), high = _mm_setzero_si128();
    for (int j = 0; j < 3; ++j) {
      const int col = 3 * g + j;
      const int v = col < cols ? q[col] : 0;
      // vpsignb by -1, 0 or 1 multiplies by it.
      const int v_low = ((v + 8) & 15) - 8;
      const int v_high = (v - v_low) / 16;
      low = _mm_add_epi8(low, _mm_sign_epi8(_mm_set1_epi8(static_cast<char>(v_low)), weight[j]));
      high = _mm_add_epi8(high, _mm_sign_epi8(_mm_set1_epi8(static_cast<char>(v_high)), weight[j]));
    }
    _mm_store_si128(reinterpret_cast<__m128i*>(tables), low);
    _mm_store_si128(reinterpret_cast<__m128i*>(tables + 16), high);
  }
}

// The tables of every token of the last activations this thread saw, and a
// copy of those activations, which tells whether the next call's are the same.
class TableCache {
 public:
  TableCache() = default;
  TableCache(const TableCache&) = delete;
  TableCache& operator=(const TableCache&) = delete;
  ~TableCache() {
    std::free(q_);
    std::free(tables_);
  }

  // The tables of x's tokens (cols activations each), TableBytes(cols) apart.
  const int8_t* For(const QuantizedActivations& x, int cols) {
    const size_t q_bytes = static_cast<size_t>(x.tokens) * cols;
    if (cols == cols_ && x.tokens == tokens_ && Same(x)) return tables_;
    q_ = Grow(q_, q_bytes, q_capacity_);
    const size_t table_bytes = TableBytes(cols);
    tables_ = Grow(tables_, x.tokens * table_bytes, tables_capacity_);
    for (int t = 0; t < x.tokens; ++t) {
      const int8_t* q = x.q + t * x.q_stride;
      std::memcpy(q_ + static_cast<size_t>(t) * cols, q, cols);
      BuildTables(q, cols, tables_ + t * table_bytes);
    }
    cols_ = cols;
    tokens_ = x.tokens;
    return tables_;
  }

 private:
  bool Same(const QuantizedActivations& x) const {
    for (int t = 0; t < x.tokens; ++t) {
      if (std::memcmp(q_ + static_cast<size_t>(t) * cols_, x.q + t * x.q_stride, cols_) != 0) {
        return false;
      }
    }
    return true;
  }

  // A buffer of at least `bytes` (32-byte aligned), its contents dropped.
  static int8_t* Grow(int8_t* buffer, size_t bytes, size_t& capacity) {
    if (bytes <= capacity) return buffer;
    std::free(buffer);
    capacity = (bytes + 31) / 32 * 32;
    void* grown = std::aligned_alloc(32, capacity);
    if (grown == nullptr) throw std::bad_alloc();
    return static_cast<int8_t*>(grown);
  }

  int cols_ = -1;
  int tokens_ = 0;
  int8_t* q_ = nullptr;
  size_t q_capacity_ = 0;
  int8_t* tables_ = nullptr;
  size_t tables_capacity_ = 0;
};

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
    // acc16[b][0]: rows 0..7 and 16..23 of block b; acc16[b][1]: 8..15, 24..31.
#pragma GCC unroll 2
    for (int b = 0; b < kBlocks; ++b) {
#pragma GCC unroll 2
      for (int k = 0; k < 2; ++k) {
#pragma GCC unroll 2
        for (int half = 0; half < 2; ++half) {
          __m256i* out =
              reinterpret_cast<__m256i*>(dots + b * kTripleBlockRows + 16 * half + 8 * k);
          const __m128i sums = half == 0 ? _mm256_castsi256_si128(acc16[b][k])
                                         : _mm256_extracti128_si256(acc16[b][k], 1);
          _mm256_storeu_si256(out, _mm256_add_epi32(_mm256_loadu_si256(out),
                                                    _mm256_cvtepi16_epi32(sums)));
        }
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
        float* out = y + t * y_stride + row0;
        for (int r = 0; r < group_rows; ++r) {
          out[r] = (static_cast<float>(dots[r]) / x.scale[t]) * w_scale;
        }
      }
    }
  }
}

}  // namespace bitbrain::kernels::avx2
