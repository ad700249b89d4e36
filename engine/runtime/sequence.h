// One sequence being decoded: its KV cache and how many positions it holds.
//
// The cache holds f16 keys and values (NUMERICS.md section 2.4), laid out
// [layer][key|value][kv_head][position][head_dim]: the keys (or values) of
// one KV head are consecutive rows of head_dim values, so attention streams
// them with a stride of head_dim. The memory is mapped for the whole context
// up front but becomes resident only as positions are written.
#ifndef BITBRAIN_ENGINE_RUNTIME_SEQUENCE_H_
#define BITBRAIN_ENGINE_RUNTIME_SEQUENCE_H_

#include <cstddef>
#include <cstdint>

#include "engine/runtime/memory.h"

namespace bitbrain::runtime {

struct CacheShape {
  int layers;
  int kv_heads;
  int head_dim;
  int capacity;  // positions: the context length

  friend bool operator==(const CacheShape&, const CacheShape&) = default;
};

class Sequence {
 public:
  explicit Sequence(const CacheShape& shape);
  Sequence(Sequence&&) noexcept = default;
  Sequence& operator=(Sequence&&) noexcept = default;

  // Positions held: the next token goes to position().
  int position() const { return position_; }
  int capacity() const { return shape_.capacity; }
  const CacheShape& shape() const { return shape_; }
  // Bytes of the cache at full capacity.
  size_t cache_bytes() const { return cache_.size(); }

  // Forgets the positions from `length` on, so that a new continuation of
  // the first `length` tokens can be decoded (a prompt prefix is reused).
  // Throws std::out_of_range unless 0 <= length <= position().
  void Truncate(int length);

  // The capacity x head_dim keys (values) of one KV head of one layer.
  uint16_t* keys(int layer, int kv_head) const { return Rows(layer, 0, kv_head); }
  uint16_t* values(int layer, int kv_head) const { return Rows(layer, 1, kv_head); }

 private:
  friend class Engine;  // advances position_ once it has written the new rows

  uint16_t* Rows(int layer, int key_or_value, int kv_head) const {
    const size_t block =
        (static_cast<size_t>(layer) * 2 + key_or_value) * shape_.kv_heads + kv_head;
    return reinterpret_cast<uint16_t*>(cache_.data()) + block * shape_.capacity * shape_.head_dim;
  }

  CacheShape shape_;
  AnonymousMemory cache_;
  int position_ = 0;
};

}  // namespace bitbrain::runtime

#endif  // BITBRAIN_ENGINE_RUNTIME_SEQUENCE_H_
