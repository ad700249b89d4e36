#include "kernels/ternary_layout.h"

#include <cstring>

#include "kernels/formats/i2s.h"

namespace bitbrain::kernels {
namespace {

constexpr uint8_t kZeroCodes = 0x55;  // four codes 1 (ternary 0): padding rows

}  // namespace

size_t GroupedLayoutBytes(int rows, int cols, int group_rows) {
  const size_t groups = (static_cast<size_t>(rows) + group_rows - 1) / group_rows;
  return groups * group_rows * static_cast<size_t>(cols) / 4;
}

void PackBlockInterleaved(const uint8_t* i2s, int rows, int cols, int group_rows, uint8_t* out) {
  const size_t row_bytes = static_cast<size_t>(cols) / 4;
  for (int row0 = 0; row0 < rows; row0 += group_rows) {
    for (size_t block = 0; block < row_bytes; block += i2s::kBlockBytes) {
      for (int j = 0; j < group_rows; ++j, out += i2s::kBlockBytes) {
        if (row0 + j < rows) {
          std::memcpy(out, i2s + (row0 + j) * row_bytes + block, i2s::kBlockBytes);
        } else {
          std::memset(out, kZeroCodes, i2s::kBlockBytes);
        }
      }
    }
  }
}

void PackRowInterleaved(const uint8_t* i2s, int rows, int cols, int group_rows, uint8_t* out) {
  const size_t row_bytes = static_cast<size_t>(cols) / 4;
  const size_t chunk_bytes = static_cast<size_t>(group_rows) * 4;
  for (int row0 = 0; row0 < rows; row0 += group_rows) {
    for (int j = 0; j < group_rows; ++j) {
      uint8_t* row_out = out + static_cast<size_t>(row0) * row_bytes + 4 * j;
      if (row0 + j >= rows) {
        for (int k0 = 0; k0 < cols; k0 += kChunkColumns) {
          std::memset(row_out + k0 / kChunkColumns * chunk_bytes, kZeroCodes, 4);
        }
        continue;
      }
      const uint8_t* row = i2s + (row0 + j) * row_bytes;
      for (int k0 = 0; k0 < cols; k0 += kChunkColumns) {
        // Columns k0 .. k0+15 of an I2_S row are 16 consecutive bytes of one
        // 128-column block, all at the same bit position. Little-endian
        // words: byte i of word s holds column k0 + 4s + i.
        uint32_t words[4];
        std::memcpy(words, row + k0 / 128 * i2s::kBlockBytes + k0 % 32, sizeof words);
        const int shift = 6 - 2 * (k0 % 128 / 32);
        uint32_t packed = 0;
        for (int s = 0; s < 4; ++s) packed |= ((words[s] >> shift) & 0x03030303u) << (2 * s);
        std::memcpy(row_out + k0 / kChunkColumns * chunk_bytes, &packed, 4);
      }
    }
  }
}

}  // namespace bitbrain::kernels
