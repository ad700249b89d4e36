// RoPE rotation, NUMERICS.md section 1.4: NEOX pairs (i, i + head_dim/2),
// products rounded separately (no fma).
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {

void Rope(float* x, const float* cos, const float* sin, int head_dim) {
  const int half = head_dim / 2;
  for (int i = 0; i < half; ++i) {
    const float a = x[i];
    const float b = x[i + half];
    x[i] = a * cos[i] - b * sin[i];
    x[i + half] = a * sin[i] + b * cos[i];
  }
}

}  // namespace bitbrain::kernels::scalar
