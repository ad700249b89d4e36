// The weight layouts of the ternary matmuls, built once from the file's I2_S
// bytes at load time. Each takes rows in groups of R (the last group padded
// with zero weights) and stores each group contiguously, so that a matmul
// over a group reads one sequential stream.
//
// Block-interleaved (AVX2, R = 4; 2 bits per weight): the group's I2_S blocks
// (32 bytes, 128 columns of one row) in the order block 0 of rows 0..R-1,
// block 1 of rows 0..R-1, ... The bytes of each block are I2_S's.
//
// Row-interleaved (AVX-512, R = 64; 2 bits per weight): A group is stored as
// cols / 16 chunks of 4R bytes, one chunk per 16 consecutive columns k0 ..
// k0+15. In a chunk, byte 4j + i holds, in bits 2s+1:2s (s = 0..3), the code
// (ternary + 1: 0, 1, 2) of row j, column k0 + 4s + i. So for a 64-byte slice
// of a chunk (16 rows), `(slice >> 2s) & 3` is, for step s, a vector whose
// 32-bit lane j holds its row j's four codes of columns k0+4s .. k0+4s+3: the
// unsigned operand of one vpdpbusd against four broadcast activation bytes. A
// group occupies R * cols / 4 bytes, as I2_S does.
//
// Base-3 (the compact layout of scalar, R = 1; 1.6 bits per weight): ten
// codes in each 16-bit word, as a fixed-point fraction that multiplications
// take apart (no division). A row is cut into blocks of 160 columns, 32 bytes
// = 16 little-endian words each; word i of a block holds its columns 10i ..
// 10i+9, codes c_0 .. c_9, as
//     X = ceil(v * 2^16 / 3^10),  v = sum_j c_j * 3^(9-j)  (0 <= v < 3^10),
// and X_j = X * 3^j mod 2^16 yields c_j = (3 * X_j) >> 16 exactly. Proof:
// write X = v * 2^16 / 3^10 + d with 0 <= d < 1. Then X_j = 2^16 * r /
// 3^(10-j) + 3^j * d with r = v mod 3^(10-j) (the sum stays below 2^16
// because 3^10 < 2^16), and 3 X_j / 2^16 is c_j plus r' / 3^(9-j) + 3^(j+1)
// d / 2^16 with r' <= 3^(9-j) - 1, whose fractional part stays below 1
// because 3^(j+1) / 2^16 < 1 / 3^(9-j), again 3^10 < 2^16. Columns past the
// row's end (cols is a multiple of 128, the last block may hold fewer than
// 160) have code 1 (weight 0).
//
// Triples (the compact layout of avx2, R = 64; 5/3 bits per weight): a row's
// columns in triples 3G, 3G+1, 3G+2 (weight 0 past the row's end). Every
// triple of ternary weights is one of the 14 canonical triples kTriples (the
// zero triple, then those whose first nonzero weight is +1) or its negation:
// a 4-bit index and a sign bit, set for the negation. The kernel decodes
// nothing: it looks the indices up in 16-entry tables of each triple's sums of
// activations (vpshufb). A group of R rows is cut into steps of 8 triples (24
// columns); per step, each of its two blocks of 32 rows in turn stores 160
// bytes: byte 32j + r (j = 0..3) holds row r's index of triple 2j of the step
// in bits 3:0 and of triple 2j+1 in bits 7:4, and byte 128 + r holds in bit g
// the sign of row r's triple g. Rows past the end have index 0.
#ifndef BITBRAIN_KERNELS_TERNARY_LAYOUT_H_
#define BITBRAIN_KERNELS_TERNARY_LAYOUT_H_

#include <cstddef>
#include <cstdint>

namespace bitbrain::kernels {

inline constexpr int kChunkColumns = 16;  // columns per row-interleaved chunk

inline constexpr int kBase3BlockColumns = 160;  // columns per base-3 block
inline constexpr int kBase3BlockBytes = 32;
inline constexpr int kBase3CodesPerWord = 10;

inline constexpr int kTripleGroupRows = 64;
inline constexpr int kTripleBlockRows = 32;
inline constexpr int kTriplesPerStep = 8;
inline constexpr int kTripleStepBytes = 160;  // per block of 32 rows
inline constexpr int kTripleSignOffset = 128;  // the sign bytes, after 4 x 32 index bytes
inline constexpr int kCanonicalTriples = 14;
inline constexpr int8_t kTriples[kCanonicalTriples][3] = {
    {0, 0, 0},   {0, 0, 1},  {0, 1, -1}, {0, 1, 0},  {0, 1, 1},  {1, -1, -1}, {1, -1, 0},
    {1, -1, 1},  {1, 0, -1}, {1, 0, 0},  {1, 0, 1},  {1, 1, -1}, {1, 1, 0},   {1, 1, 1}};

// The index (bits 3:0) and sign (bit 4) of the ternary triple (a, b, c).
constexpr int TripleCode(int a, int b, int c) {
  const int first = a != 0 ? a : b != 0 ? b : c;
  const int sign = first < 0 ? 1 : 0;
  if (sign) a = -a, b = -b, c = -c;
  for (int i = 0; i < kCanonicalTriples; ++i) {
    if (kTriples[i][0] == a && kTriples[i][1] == b && kTriples[i][2] == c) return i | sign << 4;
  }
  return -1;  // not ternary
}

// Steps of 8 triples that cover cols columns.
constexpr int TripleSteps(int cols) {
  const int triples = (cols + 2) / 3;
  return (triples + kTriplesPerStep - 1) / kTriplesPerStep;
}

// Bytes of the 2-bit layouts for rows x cols weights in groups of group_rows.
size_t GroupedLayoutBytes(int rows, int cols, int group_rows);
// Bytes of the base-3 layout.
size_t Base3LayoutBytes(int rows, int cols);
// Bytes of the triples layout.
size_t TripleLayoutBytes(int rows, int cols);

// Code j (0..9) of a base-3 word: the scalar definition of the decoding.
constexpr int Base3Code(uint16_t word, int j) {
  uint32_t x = word;
  for (int i = 0; i < j; ++i) x = x * 3 % 65536;
  return static_cast<int>(x * 3 >> 16);
}

// Repack rows * cols / 4 bytes of I2_S codes (cols a multiple of 128).
void PackBlockInterleaved(const uint8_t* i2s, int rows, int cols, int group_rows, uint8_t* out);
void PackRowInterleaved(const uint8_t* i2s, int rows, int cols, int group_rows, uint8_t* out);
void PackBase3(const uint8_t* i2s, int rows, int cols, uint8_t* out);
void PackTriples(const uint8_t* i2s, int rows, int cols, uint8_t* out);

}  // namespace bitbrain::kernels

#endif  // BITBRAIN_KERNELS_TERNARY_LAYOUT_H_
