#include "kernels/ternary_layout.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "kernels/formats/i2s.h"

namespace bitbrain::kernels {
namespace {

constexpr uint8_t kZeroCodes = 0x55;  // four codes 1 (ternary 0): padding rows

// Row `row`'s codes (ternary + 1) from an I2_S tensor of cols columns.
void RowCodes(const uint8_t* i2s, int row, int cols, uint8_t* codes) {
  const uint8_t* bytes = i2s + static_cast<size_t>(row) * cols / 4;
  for (int block = 0; block < cols / 128; ++block) {
    uint8_t* block_codes = codes + block * 128;
    for (int p = 0; p < 32; ++p) {
      const uint8_t byte = bytes[block * 32 + p];
      block_codes[p] = byte >> 6;
      block_codes[32 + p] = (byte >> 4) & 3;
      block_codes[64 + p] = (byte >> 2) & 3;
      block_codes[96 + p] = byte & 3;
    }
  }
}

}  // namespace

size_t GroupedLayoutBytes(int rows, int cols, int group_rows) {
  const size_t groups = (static_cast<size_t>(rows) + group_rows - 1) / group_rows;
  return groups * group_rows * static_cast<size_t>(cols) / 4;
}

size_t Base3LayoutBytes(int rows, int cols) {
  const size_t blocks = (static_cast<size_t>(cols) + kBase3BlockColumns - 1) / kBase3BlockColumns;
  return static_cast<size_t>(rows) * blocks * kBase3BlockBytes;
}

size_t TripleLayoutBytes(int rows, int cols) {
  const size_t groups = (static_cast<size_t>(rows) + kTripleGroupRows - 1) / kTripleGroupRows;
  return groups * TripleSteps(cols) * (kTripleGroupRows / kTripleBlockRows) * kTripleStepBytes;
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

void PackBase3(const uint8_t* i2s, int rows, int cols, uint8_t* out) {
  const int blocks = (cols + kBase3BlockColumns - 1) / kBase3BlockColumns;
  // One row's codes (ternary + 1), padded with 1 (weight 0) to whole blocks.
  std::vector<uint8_t> codes(static_cast<size_t>(blocks) * kBase3BlockColumns, 1);
  for (int row = 0; row < rows; ++row) {
    RowCodes(i2s, row, cols, codes.data());
    for (int word = 0; word < blocks * kBase3BlockColumns / kBase3CodesPerWord; ++word, out += 2) {
      uint32_t v = 0;  // the codes as a base-3 number, code 0 most significant
      for (int j = 0; j < kBase3CodesPerWord; ++j) v = v * 3 + codes[word * kBase3CodesPerWord + j];
      const uint32_t x = (v * 65536 + 59048) / 59049;  // ceil(v * 2^16 / 3^10)
      out[0] = static_cast<uint8_t>(x);
      out[1] = static_cast<uint8_t>(x >> 8);
    }
  }
}

void PackTriples(const uint8_t* i2s, int rows, int cols, uint8_t* out) {
  const int steps = TripleSteps(cols);
  std::memset(out, 0, TripleLayoutBytes(rows, cols));  // index 0, sign 0: zero weights
  // TripleCode by the codes (ternary + 1) c0 * 9 + c1 * 3 + c2.
  static constexpr auto kTripleCodes = [] {
    std::array<uint8_t, 27> codes{};
    for (int i = 0; i < 27; ++i) {
      codes[i] = static_cast<uint8_t>(TripleCode(i / 9 - 1, i / 3 % 3 - 1, i % 3 - 1));
    }
    return codes;
  }();
  // One row's codes, padded with 1 (weight 0) to whole steps.
  std::vector<uint8_t> codes(static_cast<size_t>(steps) * kTriplesPerStep * 3, 1);
  for (int row = 0; row < rows; ++row) {
    RowCodes(i2s, row, cols, codes.data());
    const int block = row / kTripleBlockRows;  // blocks of all groups, in order
    const int r = row % kTripleBlockRows;
    const int group = row / kTripleGroupRows;
    const int block_in_group = block % (kTripleGroupRows / kTripleBlockRows);
    for (int step = 0; step < steps; ++step) {
      uint8_t* bytes = out + ((static_cast<size_t>(group) * steps + step) *
                                  (kTripleGroupRows / kTripleBlockRows) +
                              block_in_group) *
                                 kTripleStepBytes;
      for (int g = 0; g < kTriplesPerStep; ++g) {
        const uint8_t* c = codes.data() + 3 * (step * kTriplesPerStep + g);
        const int code = kTripleCodes[c[0] * 9 + c[1] * 3 + c[2]];
        bytes[32 * (g / 2) + r] |= static_cast<uint8_t>((code & 15) << (4 * (g % 2)));
        bytes[kTripleSignOffset + r] |= static_cast<uint8_t>((code >> 4) << g);
      }
    }
  }
}

}  // namespace bitbrain::kernels
