// The I2_S ternary tensor type (ggml type 36, bitnet.cpp), byte for byte as
// ../shared/specs/bitnet-model.md section 3 describes it:
//
//   elements in row-major order, grouped in blocks of 128 -> 32 bytes;
//   byte p of a block holds elements p (bits 7:6), 32+p (5:4), 64+p (3:2),
//   96+p (1:0); code = ternary + 1 (0, 1, 2; 3 never occurs);
//   one float32 scale for the whole tensor at byte n/4, then 28 bytes of
//   padding with undefined content.
#ifndef BITBRAIN_KERNELS_FORMATS_I2S_H_
#define BITBRAIN_KERNELS_FORMATS_I2S_H_

#include <cstddef>
#include <cstdint>
#include <span>

namespace bitbrain::i2s {

inline constexpr size_t kBlockElements = 128;
inline constexpr size_t kBlockBytes = 32;
inline constexpr size_t kTailBytes = 32;  // float32 scale + 28 padding bytes

// Bytes of an I2_S tensor of n elements (n a multiple of kBlockElements).
constexpr size_t TensorBytes(size_t n) { return n / 4 + kTailBytes; }

// Ternary value (-1, 0, +1) of element j. Code 3 never occurs in a valid
// tensor (it would read as +2 here); FindInvalidCode detects it.
inline int8_t Get(const uint8_t* data, size_t j) {
  const size_t block = j / kBlockElements;
  const size_t within = j % kBlockElements;
  const uint8_t byte = data[block * kBlockBytes + within % 32];
  const int shift = 6 - 2 * static_cast<int>(within / 32);
  return static_cast<int8_t>(((byte >> shift) & 3) - 1);
}

// The tensor's scale (unaligned read of the float32 at byte n/4).
float Scale(const uint8_t* data, size_t n);

// Writes n = ternary.size() elements (each -1, 0 or +1) and the scale into
// out (TensorBytes(n) bytes); the padding bytes are written as zero.
void Pack(std::span<const int8_t> ternary, float scale, std::span<uint8_t> out);

// Reads n = out.size() ternary values.
void Unpack(const uint8_t* data, std::span<int8_t> out);

// Offset of the first byte holding code 3 within the first n/4 bytes, or -1.
long FindInvalidCode(const uint8_t* data, size_t n);

}  // namespace bitbrain::i2s

#endif  // BITBRAIN_KERNELS_FORMATS_I2S_H_
