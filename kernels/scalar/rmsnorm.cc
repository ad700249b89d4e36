// RMSNorm, NUMERICS.md section 2.2.
#include <cmath>

#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {

void RmsNorm(const float* x, const float* w, int n, float eps, float* y) {
  const float mean = Dot16(x, x, n) / static_cast<float>(n);
  const float inv = 1.0f / std::sqrt(mean + eps);
  for (int i = 0; i < n; ++i) y[i] = (x[i] * inv) * w[i];
}

}  // namespace bitbrain::kernels::scalar
