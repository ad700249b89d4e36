// Element-wise kernels: squared ReLU times up (NUMERICS.md section 2.5), the
// residual add (2.6) and f16 rounding (1.2).
#include <cmath>

#include "kernels/formats/f16.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {

void SquaredReluMul(const float* gate, const float* up, int n, float* out) {
  for (int i = 0; i < n; ++i) {
    const float g = gate[i];
    // max(g, +0): +0 for g <= 0 (including -0), NaN stays NaN.
    const float r = (g > 0.0f || std::isnan(g)) ? g : 0.0f;
    out[i] = (r * r) * up[i];
  }
}

void Add(float* x, const float* y, int n) {
  for (int i = 0; i < n; ++i) x[i] = x[i] + y[i];
}

void RoundF16(const float* x, int n, float* y) {
  for (int i = 0; i < n; ++i) y[i] = RoundToF16(x[i]);
}

void ToF16(const float* x, int n, uint16_t* out) {
  for (int i = 0; i < n; ++i) out[i] = F32ToF16(x[i]);
}

}  // namespace bitbrain::kernels::scalar
