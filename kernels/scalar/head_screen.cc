// The LM head's int8 screening copy and the integer screening product
// (kernels.h, HeadScreenQuantizeFn and HeadScreenFn).
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/formats/f16.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {
namespace {

bool IsFiniteF16(uint16_t h) { return (h & 0x7C00) != 0x7C00; }

}  // namespace

void HeadScreenQuantize(const uint16_t* embeddings, int cols, int row_begin, int row_end,
                        int8_t* codes, size_t code_stride, float* scale, int64_t* code_sq,
                        double* error_sq) {
  for (int v = row_begin; v < row_end; ++v) {
    const uint16_t* row = embeddings + static_cast<size_t>(v) * cols;
    const auto code = [&](size_t i) -> int8_t& {
      return codes[HeadScreenCodeOffset(v, i, code_stride)];
    };
    for (size_t i = 0; i < code_stride; ++i) code(i) = 0;
    scale[v] = 0;
    code_sq[v] = 0;
    error_sq[v] = 0;
    if (!std::all_of(row, row + cols, IsFiniteF16)) {
      error_sq[v] = std::numeric_limits<double>::infinity();
      continue;
    }
    float amax = 0;
    for (int i = 0; i < cols; ++i) amax = std::max(amax, std::fabs(F16ToF32(row[i])));
    if (amax == 0) continue;
    const float c = amax / 127.0f;
    const float inv = 127.0f / amax;
    double lanes[4] = {};
    for (int i = 0; i < cols; ++i) {
      const float e = F16ToF32(row[i]);
      const float q = std::clamp(std::nearbyint(e * inv), -127.0f, 127.0f);
      code(i) = static_cast<int8_t>(q);
      code_sq[v] += static_cast<int64_t>(code(i)) * code(i);
      const double d = static_cast<double>(e) - static_cast<double>(c) * q;
      lanes[i % 4] = lanes[i % 4] + d * d;
    }
    scale[v] = c;
    error_sq[v] = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  }
}

void HeadScreen(const int8_t* codes, size_t code_stride, const int8_t* q, int vectors,
                int row_begin, int row_end, int32_t* acc, size_t acc_stride) {
  for (int v = row_begin; v < row_end; ++v) {
    for (int t = 0; t < vectors; ++t) {
      const int8_t* x = q + t * code_stride;
      int32_t sum = 0;
      for (size_t i = 0; i < code_stride; ++i) {
        sum += int32_t{codes[HeadScreenCodeOffset(v, i, code_stride)]} * x[i];
      }
      acc[t * acc_stride + v] = sum;
    }
  }
}

}  // namespace bitbrain::kernels::scalar
