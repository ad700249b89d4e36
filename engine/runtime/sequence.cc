#include "engine/runtime/sequence.h"

#include <stdexcept>
#include <string>

namespace bitbrain::runtime {

Sequence::Sequence(const CacheShape& shape)
    : shape_(shape),
      cache_(static_cast<size_t>(shape.layers) * 2 * shape.kv_heads * shape.capacity *
                 shape.head_dim * sizeof(uint16_t),
             Pages::kOnFirstWrite) {}

void Sequence::Truncate(int length) {
  if (length < 0 || length > position_) {
    throw std::out_of_range("Sequence::Truncate: length " + std::to_string(length) +
                            " is outside [0, " + std::to_string(position_) + "]");
  }
  position_ = length;
}

}  // namespace bitbrain::runtime
