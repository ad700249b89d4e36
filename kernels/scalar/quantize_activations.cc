// Activation quantization, NUMERICS.md section 2.3 (bitnet.cpp's
// quantize_row_i8_s), with the contract's rule for non-finite input.
#include <algorithm>
#include <cmath>

#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {

void QuantizeActivations(const float* x, int cols, int8_t* q, float* scale, int32_t* q_sum) {
  // NaN-propagating max of |x|: NaN if any x is NaN, else the plain max.
  float amax = 0.0f;
  for (int i = 0; i < cols; ++i) {
    const float magnitude = std::fabs(x[i]);
    if (std::isnan(magnitude) || magnitude > amax) amax = magnitude;
    if (std::isnan(amax)) break;
  }
  if (!std::isfinite(amax)) {
    // q = 0 and s NaN (amax NaN) or 0 (amax Inf): every output becomes NaN.
    std::fill(q, q + cols, int8_t{0});
    *scale = static_cast<float>(127.0 / static_cast<double>(amax));
    *q_sum = 0;
    return;
  }
  const float s = static_cast<float>(127.0 / std::max(static_cast<double>(amax), 1e-5));
  int32_t sum = 0;
  for (int i = 0; i < cols; ++i) {
    const float rounded = std::rint(x[i] * s);  // round half even (default mode)
    q[i] = static_cast<int8_t>(std::clamp(rounded, -128.0f, 127.0f));
    sum += q[i];
  }
  *scale = s;
  *q_sum = sum;
}

}  // namespace bitbrain::kernels::scalar
