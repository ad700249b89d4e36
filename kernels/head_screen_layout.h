// The layout of the LM head's screening copy (kernels.h, HeadScreen;
// engine/runtime/screened_head.h), shared by the variants and the tests.
#ifndef BITBRAIN_KERNELS_HEAD_SCREEN_LAYOUT_H_
#define BITBRAIN_KERNELS_HEAD_SCREEN_LAYOUT_H_

#include <cstddef>
#include <cstdint>

namespace bitbrain::kernels {

// The screening copy holds an int8 code per value of the head (codes[v][i] in
// [-127, 127], below) as u = codes[v][i] + 128 in [1, 255], split in two
// planes so that a screening pass reads three quarters of it:
//   coarse  u >> 2 (6 bits), read for every row. The coarse codes
//           4 (u >> 2) - 126.5 lie within 1.5 of the codes;
//   fine    u & 3 (2 bits), read only for some of the rows whose coarse
//           bounds do not rule them out (on the 2B4T-shaped model those are
//           ~15% of the rows for a greedy step, of which the engine refines
//           ~2,300: Engine::ScreenedHeadRows).
// A row holds code_stride columns: cols rounded up to a multiple of
// kHeadScreenBlock, the padding u = 0 (screening vectors are zero there).
inline constexpr int kHeadScreenBlock = 128;
inline constexpr int kHeadScreenGroupRows = 4;
inline constexpr size_t kHeadScreenCoarseBlockBytes = kHeadScreenBlock * 6 / 8;

// The coarse plane: rows in groups of kHeadScreenGroupRows (the last one
// padded with unused rows), each group one sequential stream, as the ternary
// layouts: block 0 of its rows, then block 1, and so on. A single stream
// keeps a core's memory reads ahead better than four row streams (on the Zen 3
// test machine, 16 against 13 GB/s on one core). A row's block of 128
// columns, in 32-column slices m = 0..3 (column 32 m + j), is 96 bytes:
//   bytes [0, 64)   the low 4 bits of u >> 2; byte 32 (m / 2) + j holds slice
//                   m at bits 4 (m % 2) .. 4 (m % 2) + 3
//   bytes [64, 96)  the high 2 bits of u >> 2; byte 64 + j holds slice m at
//                   bits 2 m, 2 m + 1
// The fine plane: row after row, code_stride / 4 bytes each; in block b of a
// row, byte 32 b + j holds u & 3 of slice m at bits 2 m, 2 m + 1.
struct HeadScreenPlace {
  size_t nibble, high_pair, fine;  // byte offsets in the coarse and fine planes
  int nibble_shift, pair_shift;
};

// Where column i of row v lies.
constexpr HeadScreenPlace HeadScreenPlaceOf(int v, size_t i, size_t code_stride) {
  constexpr int kRows = kHeadScreenGroupRows;
  const size_t blocks = code_stride / kHeadScreenBlock;
  const size_t block = i / kHeadScreenBlock;
  const size_t slice = i % kHeadScreenBlock / 32;
  const size_t j = i % 32;
  const size_t row_block = (static_cast<size_t>(v / kRows) * blocks + block) * kRows *
                               kHeadScreenCoarseBlockBytes +
                           static_cast<size_t>(v % kRows) * kHeadScreenCoarseBlockBytes;
  return {.nibble = row_block + 32 * (slice / 2) + j,
          .high_pair = row_block + 64 + j,
          .fine = static_cast<size_t>(v) * (code_stride / 4) + 32 * block + j,
          .nibble_shift = static_cast<int>(4 * (slice % 2)),
          .pair_shift = static_cast<int>(2 * slice)};
}
static_assert(HeadScreenPlaceOf(5, 128 + 3 * 32 + 1, 256).nibble == 3 * 384 + 96 + 32 + 1);
static_assert(HeadScreenPlaceOf(5, 128 + 3 * 32 + 1, 256).fine == 5 * 64 + 32 + 1);

// Bytes of the coarse and of the fine plane of a copy of `rows` rows.
constexpr size_t HeadScreenCoarseBytes(int rows, size_t code_stride) {
  constexpr int kRows = kHeadScreenGroupRows;
  return static_cast<size_t>((rows + kRows - 1) / kRows) * kRows * code_stride / 4 * 3;
}
constexpr size_t HeadScreenFineBytes(int rows, size_t code_stride) {
  return static_cast<size_t>(rows) * code_stride / 4;
}

// Where head_screen.quantize writes the copy (per-row arrays indexed by row).
struct HeadScreenCopy {
  uint8_t* coarse;
  uint8_t* fine;
  size_t code_stride;
  float* scale;
  int64_t* code_sq;
  double* error_sq;
  double* coarse_error_sq;
};

// Starts row v of the copy as a row of zeros: u = 128 (code 0) in [0, cols)
// and 0 in the padding (the row's u values, code_stride of them, at u), zero
// scale and sums.
inline void StartHeadScreenRow(const HeadScreenCopy& copy, int v, int cols, uint8_t* u) {
  for (size_t i = 0; i < copy.code_stride; ++i) u[i] = i < static_cast<size_t>(cols) ? 128 : 0;
  copy.scale[v] = 0;
  copy.code_sq[v] = 0;
  copy.error_sq[v] = 0;
  copy.coarse_error_sq[v] = 0;
}

// Column i of row v: u >> 2 from the coarse plane, u & 3 from the fine one.
inline int HeadScreenCoarseCode(const uint8_t* coarse, int v, size_t i, size_t code_stride) {
  const HeadScreenPlace p = HeadScreenPlaceOf(v, i, code_stride);
  return (coarse[p.nibble] >> p.nibble_shift & 15) |
         (coarse[p.high_pair] >> p.pair_shift & 3) << 4;
}
inline int HeadScreenFineCode(const uint8_t* fine, int v, size_t i, size_t code_stride) {
  const HeadScreenPlace p = HeadScreenPlaceOf(v, i, code_stride);
  return fine[p.fine] >> p.pair_shift & 3;
}

// Writes row v's u values (code_stride of them, at u) into both planes.
inline void StoreHeadScreenRow(const uint8_t* u, int v, size_t code_stride, uint8_t* coarse,
                               uint8_t* fine) {
  for (size_t block = 0; block < code_stride; block += kHeadScreenBlock) {
    const HeadScreenPlace p = HeadScreenPlaceOf(v, block, code_stride);
    const uint8_t* x = u + block;
    for (int j = 0; j < 32; ++j) {
      const int a = x[j], b = x[32 + j], c = x[64 + j], d = x[96 + j];
      coarse[p.nibble + j] = static_cast<uint8_t>((a >> 2 & 15) | (b >> 2 & 15) << 4);
      coarse[p.nibble + 32 + j] = static_cast<uint8_t>((c >> 2 & 15) | (d >> 2 & 15) << 4);
      coarse[p.high_pair + j] =
          static_cast<uint8_t>(a >> 6 | (b >> 6) << 2 | (c >> 6) << 4 | (d >> 6) << 6);
      fine[p.fine + j] =
          static_cast<uint8_t>((a & 3) | (b & 3) << 2 | (c & 3) << 4 | (d & 3) << 6);
    }
  }
}

}  // namespace bitbrain::kernels

#endif  // BITBRAIN_KERNELS_HEAD_SCREEN_LAYOUT_H_
