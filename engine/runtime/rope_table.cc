#include "engine/runtime/rope_table.h"

#include "kernels/rope_table.h"

namespace bitbrain::runtime {

RopeTable::RopeTable(int positions, int head_dim, float freq_base)
    : half_(head_dim / 2),
      cos_(static_cast<size_t>(positions) * half_),
      sin_(static_cast<size_t>(positions) * half_) {
  for (int pos = 0; pos < positions; ++pos) {
    const size_t at = static_cast<size_t>(pos) * half_;
    kernels::RopeCosSin(pos, head_dim, freq_base, cos_.data() + at, sin_.data() + at);
  }
}

}  // namespace bitbrain::runtime
