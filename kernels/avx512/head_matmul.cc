// The tied F16 LM head (NUMERICS.md section 2.7) in blocks of 4 rows x up to
// 4 tokens: each f16 row vector is converted once per block and used for
// every token of the block, and the 16 accumulators hide the fma latency.
// The rows stream from memory, each prefetched ahead (prefetch.h).
#include "kernels/avx512/avx512.h"
#include "kernels/avx512/lanes16.h"

namespace bitbrain::kernels::avx512 {
namespace {

constexpr int kRowBlock = 4;
constexpr int kTokenBlock = 4;

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

  // Rows [v, v + R) x all tokens.
  template <int R>
  void Rows(int v, int tokens) const {
    int t = 0;
    for (; t + kTokenBlock <= tokens; t += kTokenBlock) Block<R, kTokenBlock>(v, t);
    switch (tokens - t) {
      case 3:
        return Block<R, 3>(v, t);
      case 2:
        return Block<R, 2>(v, t);
      case 1:
        return Block<R, 1>(v, t);
    }
  }
};

}  // namespace

void HeadMatmul(const uint16_t* embeddings, int cols, const float* hn, size_t hn_stride,
                int tokens, int row_begin, int row_end, float* logits, size_t logits_stride) {
  const Head head{embeddings, cols, hn, hn_stride, logits, logits_stride};
  int v = row_begin;
  for (; v + kRowBlock <= row_end; v += kRowBlock) head.Rows<kRowBlock>(v, tokens);
  for (; v < row_end; ++v) head.Rows<1>(v, tokens);
}

}  // namespace bitbrain::kernels::avx512
