// Ternary matmul straight from I2_S bytes (kernels/formats/i2s.h), NUMERICS.md
// section 2.3: an exact int32 dot product per row and token, then the rescale.
#include <cstring>

#include "kernels/formats/i2s.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {

size_t TernaryPackedBytes(int rows, int cols) {
  return static_cast<size_t>(rows) * static_cast<size_t>(cols) / 4;
}

void TernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out) {
  std::memcpy(out, i2s, TernaryPackedBytes(rows, cols));
}

namespace {

// sum_i t[i] * q[i] over one row of I2_S blocks. Byte p of a block holds
// elements p, 32+p, 64+p, 96+p in bits 7:6, 5:4, 3:2, 1:0 as t + 1.
int32_t TernaryDot(const uint8_t* row, const int8_t* q, int cols) {
  int32_t acc = 0;
  for (int block = 0; block < cols / 128; ++block) {
    const uint8_t* bytes = row + block * i2s::kBlockBytes;
    const int8_t* qb = q + block * 128;
    for (int p = 0; p < 32; ++p) {
      const int byte = bytes[p];
      acc += (((byte >> 6) & 3) - 1) * qb[p] + (((byte >> 4) & 3) - 1) * qb[32 + p] +
             (((byte >> 2) & 3) - 1) * qb[64 + p] + ((byte & 3) - 1) * qb[96 + p];
    }
  }
  return acc;
}

}  // namespace

void TernaryMatmul(const uint8_t* packed, int /*rows*/, int cols, float w_scale,
                   const QuantizedActivations& x, int row_begin, int row_end, float* y,
                   size_t y_stride) {
  const size_t row_bytes = static_cast<size_t>(cols) / 4;
  for (int t = 0; t < x.tokens; ++t) {
    const int8_t* q = x.q + t * x.q_stride;
    for (int r = row_begin; r < row_end; ++r) {
      const int32_t acc = TernaryDot(packed + r * row_bytes, q, cols);
      y[t * y_stride + r] = (static_cast<float>(acc) / x.scale[t]) * w_scale;
    }
  }
}

}  // namespace bitbrain::kernels::scalar
