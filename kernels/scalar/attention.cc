// The steps of attention for one query head, NUMERICS.md section 2.4:
// scores, their max, exp_c and the sum, the f16 probabilities, and the
// probability-weighted sum of the values.
#include <cmath>

#include "kernels/formats/f16.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {

void AttentionScores(const float* q, const uint16_t* keys, size_t key_stride, int positions,
                     int head_dim, float scale, float* score) {
  for (int j = 0; j < positions; ++j) {
    score[j] = Dot16(q, keys + j * key_stride, head_dim) * scale;
  }
}

float Max(const float* x, int n) {
  float m = -INFINITY;
  for (int j = 0; j < n; ++j) {
    if (std::isnan(x[j])) return x[j];
    // +0 ranks above -0, so that the result does not depend on the order.
    if (x[j] > m || (x[j] == m && !std::signbit(x[j]))) m = x[j];
  }
  return m;
}

float ExpSum(const float* x, int n, float m, float* e) {
  for (int j = 0; j < n; ++j) e[j] = ExpC(x[j] - m);
  return Sum16(e, n);
}

void ScaleRoundF16(const float* e, int n, float inv, float* p) {
  for (int j = 0; j < n; ++j) p[j] = RoundToF16(e[j] * inv);
}

void WeightedValues(const float* p, size_t p_stride, int heads, const uint16_t* values,
                    size_t value_stride, int positions, int dims, float* o, size_t o_stride) {
  for (int g = 0; g < heads; ++g) {
    const float* pg = p + g * p_stride;
    float* og = o + g * o_stride;
    for (int d = 0; d < dims; ++d) og[d] = 0.0f;
    for (int j = 0; j < positions; ++j) {
      const uint16_t* v = values + j * value_stride;
      for (int d = 0; d < dims; ++d) og[d] = std::fma(pg[j], F16ToF32(v[d]), og[d]);
    }
  }
}

}  // namespace bitbrain::kernels::scalar
