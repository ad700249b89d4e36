// The weight layouts that the SIMD ternary matmuls stream, built once from
// the file's I2_S bytes at load time. Both take rows in groups of R (the last
// group padded with zero weights) and store each group contiguously, so that
// a matmul over a group reads one sequential stream.
//
// Block-interleaved (AVX2, R = 4): the group's I2_S blocks (32 bytes, 128
// columns of one row) in the order block 0 of rows 0..R-1, block 1 of rows
// 0..R-1, ... The bytes of each block are I2_S's.
//
// Row-interleaved (AVX-512, R = 16): A group is stored as cols / 16 chunks of
// 4R bytes, one chunk per 16 consecutive columns k0 .. k0+15. In a chunk, byte
// 4j + i holds, in bits 2s+1:2s (s = 0..3), the code (ternary + 1: 0, 1, 2) of
// row j, column k0 + 4s + i. So `(chunk >> 2s) & 3` is, for step s, a vector
// whose 32-bit lane j holds row j's four codes of columns k0+4s .. k0+4s+3:
// the unsigned operand of one vpdpbusd against four broadcast activation
// bytes. A group occupies R * cols / 4 bytes, as I2_S does.
#ifndef BITBRAIN_KERNELS_TERNARY_LAYOUT_H_
#define BITBRAIN_KERNELS_TERNARY_LAYOUT_H_

#include <cstddef>
#include <cstdint>

namespace bitbrain::kernels {

inline constexpr int kChunkColumns = 16;  // columns per row-interleaved chunk

// Bytes of either layout for rows x cols weights in groups of group_rows.
size_t GroupedLayoutBytes(int rows, int cols, int group_rows);

// Repack rows * cols / 4 bytes of I2_S codes (cols a multiple of 128).
void PackBlockInterleaved(const uint8_t* i2s, int rows, int cols, int group_rows, uint8_t* out);
void PackRowInterleaved(const uint8_t* i2s, int rows, int cols, int group_rows, uint8_t* out);

}  // namespace bitbrain::kernels

#endif  // BITBRAIN_KERNELS_TERNARY_LAYOUT_H_
