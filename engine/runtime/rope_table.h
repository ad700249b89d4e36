// The RoPE table (conformance/NUMERICS.md section 1.4, kernels/rope_table.h)
// for every position of the context, computed once at load.
#ifndef BITBRAIN_ENGINE_RUNTIME_ROPE_TABLE_H_
#define BITBRAIN_ENGINE_RUNTIME_ROPE_TABLE_H_

#include <cstddef>
#include <vector>

namespace bitbrain::runtime {

class RopeTable {
 public:
  RopeTable() = default;  // no positions
  // positions >= 1, head_dim even, freq_base the file's rope.freq_base.
  RopeTable(int positions, int head_dim, float freq_base);

  // head_dim / 2 values each, for position pos in [0, positions).
  const float* cos(int pos) const { return cos_.data() + static_cast<size_t>(pos) * half_; }
  const float* sin(int pos) const { return sin_.data() + static_cast<size_t>(pos) * half_; }

 private:
  int half_ = 0;
  std::vector<float> cos_;
  std::vector<float> sin_;
};

}  // namespace bitbrain::runtime

#endif  // BITBRAIN_ENGINE_RUNTIME_ROPE_TABLE_H_
