// The tied F16 LM head (NUMERICS.md section 2.7). One token (decoding): 4
// rows at a time, streamed from memory, each row's stream prefetched ahead.
// Several tokens: blocks of 2 rows x 2 tokens (8 accumulator registers of the
// 16), so that each converted f16 row vector serves two tokens.
#include "kernels/avx2/avx2.h"
#include "kernels/avx2/lanes16.h"

namespace bitbrain::kernels::avx2 {
namespace {

struct Head {
  const uint16_t* embeddings;
  int cols;
  const float* hn;
  size_t hn_stride;
  float* logits;
  size_t logits_stride;

  // Rows [v, v + R) x tokens [t, t + T).
  template <int R, int T>
  void Block(int v, int t) const {
    float out[R][T];
    Dot16Block<R, T, uint16_t, /*kStreamRows=*/true>(embeddings + static_cast<size_t>(v) * cols,
                                                     cols, hn + t * hn_stride, hn_stride, cols, out);
    for (int r = 0; r < R; ++r) {
      for (int u = 0; u < T; ++u) logits[(t + u) * logits_stride + v + r] = out[r][u];
    }
  }

  // Rows [row_begin, row_end) x all tokens in blocks of R x T; the rows and
  // tokens left over go one at a time.
  template <int R, int T>
  void Run(int row_begin, int row_end, int tokens) const {
    int v = row_begin;
    for (; v + R <= row_end; v += R) {
      int t = 0;
      for (; t + T <= tokens; t += T) Block<R, T>(v, t);
      for (; t < tokens; ++t) Block<R, 1>(v, t);
    }
    for (; v < row_end; ++v) {
      for (int t = 0; t < tokens; ++t) Block<1, 1>(v, t);
    }
  }
};

}  // namespace

void HeadMatmul(const uint16_t* embeddings, int cols, const float* hn, size_t hn_stride,
                int tokens, int row_begin, int row_end, float* logits, size_t logits_stride) {
  const Head head{embeddings, cols, hn, hn_stride, logits, logits_stride};
  if (tokens == 1) {
    head.Run<4, 1>(row_begin, row_end, tokens);
  } else {
    head.Run<2, 2>(row_begin, row_end, tokens);
  }
}

}  // namespace bitbrain::kernels::avx2
