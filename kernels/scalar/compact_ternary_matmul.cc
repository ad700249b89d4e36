// Ternary matmul from the base-3 layout (kernels/ternary_layout.h),
// NUMERICS.md section 2.3: each code decoded by Base3Code, an
// exact int32 dot product per row and token, then the rescale.
#include "kernels/scalar/scalar.h"
#include "kernels/ternary_layout.h"

namespace bitbrain::kernels::scalar {

size_t CompactTernaryPackedBytes(int rows, int cols) { return Base3LayoutBytes(rows, cols); }

void CompactTernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out) {
  PackBase3(i2s, rows, cols, out);
}

namespace {

// sum_i t[i] * q[i] over one row of base-3 blocks.
int32_t Base3Dot(const uint8_t* row, const int8_t* q, int cols) {
  int32_t acc = 0;
  for (int c0 = 0; c0 < cols; c0 += kBase3CodesPerWord, row += 2) {
    const uint16_t x = static_cast<uint16_t>(row[0] | row[1] << 8);
    for (int j = 0; j < kBase3CodesPerWord && c0 + j < cols; ++j) {
      acc += (Base3Code(x, j) - 1) * q[c0 + j];
    }
  }
  return acc;
}

}  // namespace

void CompactTernaryMatmul(const uint8_t* packed, int /*rows*/, int cols, float w_scale,
                          const QuantizedActivations& x, int row_begin, int row_end, float* y,
                          size_t y_stride) {
  const size_t row_bytes = CompactTernaryPackedBytes(1, cols);
  for (int t = 0; t < x.tokens; ++t) {
    const int8_t* q = x.q + t * x.q_stride;
    for (int r = row_begin; r < row_end; ++r) {
      const int32_t acc = Base3Dot(packed + r * row_bytes, q, cols);
      y[t * y_stride + r] = (static_cast<float>(acc) / x.scale[t]) * w_scale;
    }
  }
}

}  // namespace bitbrain::kernels::scalar
