// The LM head's screening copy and its integer products (kernels.h,
// HeadScreenQuantizeFn, HeadScreenFn and HeadScreenFineFn).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/formats/f16.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {
namespace {

bool IsFiniteF16(uint16_t h) { return (h & 0x7C00) != 0x7C00; }

}  // namespace

void HeadScreenQuantize(const uint16_t* embeddings, int cols, int row_begin, int row_end,
                        const HeadScreenCopy& copy) {
  std::vector<uint8_t> u(copy.code_stride);
  for (int v = row_begin; v < row_end; ++v) {
    const uint16_t* row = embeddings + static_cast<size_t>(v) * cols;
    StartHeadScreenRow(copy, v, cols, u.data());
    float amax = 0;
    for (int i = 0; i < cols; ++i) amax = std::max(amax, std::fabs(F16ToF32(row[i])));
    if (!std::all_of(row, row + cols, IsFiniteF16)) {
      copy.error_sq[v] = std::numeric_limits<double>::infinity();
      copy.coarse_error_sq[v] = std::numeric_limits<double>::infinity();
    } else if (amax > 0) {
      const float c = amax / 127.0f;
      const float inv = 127.0f / amax;
      double lanes[4] = {}, coarse_lanes[4] = {};
      for (int i = 0; i < cols; ++i) {
        const float e = F16ToF32(row[i]);
        const float q = std::clamp(std::nearbyint(e * inv), -127.0f, 127.0f);
        u[i] = static_cast<uint8_t>(q + 128);
        copy.code_sq[v] += static_cast<int64_t>(q) * static_cast<int64_t>(q);
        const double d = static_cast<double>(e) - static_cast<double>(c) * q;
        lanes[i % 4] = lanes[i % 4] + d * d;
        const double coarse = 4 * (u[i] >> 2) - 126.5;
        const double coarse_d = static_cast<double>(e) - static_cast<double>(c) * coarse;
        coarse_lanes[i % 4] = coarse_lanes[i % 4] + coarse_d * coarse_d;
      }
      copy.scale[v] = c;
      copy.error_sq[v] = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
      copy.coarse_error_sq[v] =
          (coarse_lanes[0] + coarse_lanes[1]) + (coarse_lanes[2] + coarse_lanes[3]);
    }
    StoreHeadScreenRow(u.data(), v, copy.code_stride, copy.coarse, copy.fine);
  }
}

void HeadScreen(const uint8_t* coarse, size_t code_stride, const int8_t* q, int vectors,
                int row_begin, int row_end, int32_t* acc, size_t acc_stride) {
  for (int v = row_begin; v < row_end; ++v) {
    for (int t = 0; t < vectors; ++t) {
      const int8_t* x = q + t * code_stride;
      int32_t sum = 0;
      for (size_t i = 0; i < code_stride; ++i) {
        sum += HeadScreenCoarseCode(coarse, v, i, code_stride) * x[i];
      }
      acc[t * acc_stride + v] = sum;
    }
  }
}

void HeadScreenRefine(const uint8_t* fine, size_t code_stride, const int8_t* q, int vectors,
                      const int32_t* rows, int count, int32_t* acc, size_t acc_stride) {
  for (int j = 0; j < count; ++j) {
    for (int t = 0; t < vectors; ++t) {
      const int8_t* x = q + t * code_stride;
      int32_t sum = 0;
      for (size_t i = 0; i < code_stride; ++i) {
        sum += HeadScreenFineCode(fine, rows[j], i, code_stride) * x[i];
      }
      acc[t * acc_stride + j] = sum;
    }
  }
}

}  // namespace bitbrain::kernels::scalar
