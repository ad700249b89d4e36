// The two lookups BPE does all the time, as flat open-addressing tables
// (linear probing, at most two thirds full): one memory access per probe
// instead of std::unordered_map's chain of nodes. Built once, then only read.
#ifndef BITBRAIN_ENGINE_TOKENIZER_HASH_TABLES_H_
#define BITBRAIN_ENGINE_TOKENIZER_HASH_TABLES_H_

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace bitbrain::tokenizer {

// A 64-bit hash of a short byte string (tokens and pre-tokens are short).
inline uint64_t HashBytes(std::string_view bytes) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ bytes.size();
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    h = (h ^ word) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 32;
  }
  uint64_t tail = 0;
  if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
  h = (h ^ tail) * 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 29);
}

// Slot counts: a power of two at least 1.5 times the number of entries.
inline size_t TableSlots(size_t entries) { return std::bit_ceil(entries + entries / 2 + 1); }

// Token ids keyed by their bytes, which the owner keeps: `bytes_of(id)`.
class TokenIndex {
 public:
  explicit TokenIndex(size_t entries = 0) : slots_(TableSlots(entries)), mask_(slots_.size() - 1) {}

  // Sets the id for `bytes`; a later id for the same bytes replaces the
  // earlier one.
  template <class BytesOf>
  void Insert(std::string_view bytes, int32_t id, const BytesOf& bytes_of) {
    const uint64_t hash = HashBytes(bytes);
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.id < 0 ||
          (slot.hash == static_cast<uint32_t>(hash >> 32) && bytes_of(slot.id) == bytes)) {
        slot = {static_cast<uint32_t>(hash >> 32), id};
        return;
      }
    }
  }

  // The id for `bytes`, or -1.
  template <class BytesOf>
  int32_t Find(std::string_view bytes, const BytesOf& bytes_of) const {
    const uint64_t hash = HashBytes(bytes);
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.id < 0) return -1;
      if (slot.hash == static_cast<uint32_t>(hash >> 32) && bytes_of(slot.id) == bytes) {
        return slot.id;
      }
    }
  }

 private:
  struct Slot {
    uint32_t hash = 0;  // the hash's high half, to skip most comparisons
    int32_t id = -1;    // -1: empty
  };
  std::vector<Slot> slots_;
  size_t mask_;
};

// BPE merges keyed by the pair of tokens they join.
class MergeTable {
 public:
  struct Merge {
    int32_t rank;    // position in the merge list: lower merges first
    int32_t result;  // the merged token
  };

  explicit MergeTable(size_t entries = 0) : slots_(TableSlots(entries)), mask_(slots_.size() - 1) {}

  // Adds the merge of (left, right) unless the pair has one already (the
  // first, highest-priority one stays, as in llama.cpp).
  void Insert(int32_t left, int32_t right, Merge merge) {
    const uint64_t key = Key(left, right);
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.key == kEmpty) {
        slot = {key, merge};
        return;
      }
      if (slot.key == key) return;
    }
  }

  // The merge of (left, right), or nullptr.
  const Merge* Find(int32_t left, int32_t right) const {
    const uint64_t key = Key(left, right);
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      const Slot& slot = slots_[i];
      if (slot.key == key) return &slot.merge;
      if (slot.key == kEmpty) return nullptr;
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // not a pair of valid ids
  static uint64_t Key(int32_t left, int32_t right) {
    return (uint64_t{static_cast<uint32_t>(left)} << 32) | static_cast<uint32_t>(right);
  }
  size_t Home(uint64_t key) const {  // Fibonacci hashing: the product's high bits
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 32) & mask_;
  }

  struct Slot {
    uint64_t key = kEmpty;
    Merge merge{};
  };
  std::vector<Slot> slots_;
  size_t mask_;
};

}  // namespace bitbrain::tokenizer

#endif  // BITBRAIN_ENGINE_TOKENIZER_HASH_TABLES_H_
