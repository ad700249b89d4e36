// The tied F16 LM head, NUMERICS.md section 2.7: one dot16 per token and row.
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels::scalar {

void HeadMatmul(const uint16_t* embeddings, int cols, const float* hn, size_t hn_stride,
                int tokens, int row_begin, int row_end, float* logits, size_t logits_stride) {
  for (int v = row_begin; v < row_end; ++v) {
    const uint16_t* row = embeddings + static_cast<size_t>(v) * cols;
    for (int t = 0; t < tokens; ++t) {
      logits[t * logits_stride + v] = Dot16(hn + t * hn_stride, row, cols);
    }
  }
}

}  // namespace bitbrain::kernels::scalar
