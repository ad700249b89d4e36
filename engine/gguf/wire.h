// Facts about the GGUF byte layout shared by the reader and the writer
// (internal to //engine/gguf).
#ifndef BITBRAIN_ENGINE_GGUF_WIRE_H_
#define BITBRAIN_ENGINE_GGUF_WIRE_H_

#include <cstdint>

#include "engine/gguf/gguf.h"

namespace bitbrain::gguf::wire {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr uint32_t kVersion = 3;
inline constexpr uint32_t kDefaultAlignment = 32;
inline constexpr uint32_t kMaxDims = 4;
inline constexpr char kAlignmentKey[] = "general.alignment";

inline bool IsKnownValueType(uint32_t id) { return id <= static_cast<uint32_t>(ValueType::kF64); }

// The fewest bytes a value of this type occupies in a file (a string is at
// least its u64 length; an array at least its element type and count).
// Used to reject counts that cannot fit in the bytes that remain.
inline uint64_t MinBytes(ValueType type) {
  switch (type) {
    case ValueType::kU8: case ValueType::kI8: case ValueType::kBool: return 1;
    case ValueType::kU16: case ValueType::kI16: return 2;
    case ValueType::kU32: case ValueType::kI32: case ValueType::kF32: return 4;
    case ValueType::kU64: case ValueType::kI64: case ValueType::kF64: return 8;
    case ValueType::kString: return 8;
    case ValueType::kArray: return 4 + 8;
  }
  return 1;
}

// A metadata entry is at least a key length, a value type and one byte.
inline constexpr uint64_t kMinEntryBytes = 8 + 4 + 1;
// A tensor info is at least a name length, n_dims, one ne, type and offset.
inline constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

// Limits on what a file may declare. Checking counts against the bytes left
// keeps allocations within a few times the file size; these keep a large
// hostile file from turning that into gigabytes of metadata (a parsed array
// element takes 40 bytes, a tensor info about 150). The official 2B4T file
// has 25 keys, 536,659 array elements and 332 tensors.
inline constexpr uint64_t kMaxEntries = uint64_t{1} << 16;
inline constexpr uint64_t kMaxArrayElements = uint64_t{1} << 24;  // in all arrays together
inline constexpr uint64_t kMaxTensors = uint64_t{1} << 20;

// Index of the Value::Scalar alternative that holds a scalar of this type
// (the alternatives follow the type ids, without kArray).
inline size_t ScalarIndex(ValueType type) {
  const auto id = static_cast<uint32_t>(type);
  return id < static_cast<uint32_t>(ValueType::kArray) ? id : id - 1;
}

inline uint64_t AlignUp(uint64_t x, uint64_t alignment) {
  return x + (alignment - x % alignment) % alignment;
}

}  // namespace bitbrain::gguf::wire

#endif  // BITBRAIN_ENGINE_GGUF_WIRE_H_
