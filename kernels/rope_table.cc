#include "kernels/rope_table.h"

#include <cmath>

namespace bitbrain::kernels {

void RopeCosSin(int pos, int head_dim, double freq_base, float* cos, float* sin) {
  for (int i = 0; i < head_dim / 2; ++i) {
    const double freq = std::pow(freq_base, -2.0 * i / head_dim);
    const double angle = static_cast<double>(pos) * freq;
    cos[i] = static_cast<float>(std::cos(angle));
    sin[i] = static_cast<float>(std::sin(angle));
  }
}

}  // namespace bitbrain::kernels
