// The repacked ternary weights cached in a file beside the model, so that a
// restart maps them instead of repacking (kernels.h, TernaryMatmul):
//
//   <model>.bitbrain-<layout>.cache
//
// A 4096-byte header (magic, format version, the layout's name, the model
// file's size, modification time and a hash of its GGUF header, the payload's
// size and hash), then the payload: the packed bytes exactly as
// ModelWeights lays them out in memory. A cache is used only if every field
// matches and the payload hashes right; anything else (another model, an
// edited model, a truncated or corrupted file, an older format) is rebuilt,
// never trusted. Files are written to a temporary name and renamed, so a
// reader never sees half a cache.
#ifndef BITBRAIN_ENGINE_RUNTIME_REPACK_CACHE_H_
#define BITBRAIN_ENGINE_RUNTIME_REPACK_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "kernels/thread_pool.h"

namespace bitbrain::runtime {

// What identifies the model file a cache was made from.
struct ModelIdentity {
  uint64_t file_size = 0;
  int64_t mtime_ns = 0;
  uint64_t header_hash = 0;  // of the GGUF header: bytes [0, data offset)

  // Reads it from the file. Throws std::runtime_error if it cannot.
  static ModelIdentity Of(const std::string& model_path, uint64_t header_bytes);
};

// A read-only mapping of a whole file; unmapped on destruction.
class MappedCache {
 public:
  MappedCache() = default;
  MappedCache(MappedCache&& other) noexcept;
  MappedCache& operator=(MappedCache&& other) noexcept;
  MappedCache(const MappedCache&) = delete;
  MappedCache& operator=(const MappedCache&) = delete;
  ~MappedCache();

  const uint8_t* payload() const { return mapping_ + kHeaderBytes; }
  size_t payload_bytes() const { return size_ - kHeaderBytes; }

  static constexpr size_t kHeaderBytes = 4096;

 private:
  friend class RepackCache;
  MappedCache(uint8_t* mapping, size_t size) : mapping_(mapping), size_(size) {}
  uint8_t* mapping_ = nullptr;
  size_t size_ = 0;
};

class RepackCache {
 public:
  // The cache of `layout` (at most 63 characters) for a model file.
  RepackCache(const std::string& model_path, const std::string& layout, ModelIdentity model);

  const std::string& path() const { return path_; }

  // The cache mapped, if it exists and is valid for payload_bytes; otherwise
  // nullopt and, in *why, the reason ("" if there is no file).
  std::optional<MappedCache> Open(size_t payload_bytes, kernels::ThreadPool& pool,
                                  std::string* why) const;

  // Writes the payload as the cache. Returns false, with the reason in
  // *error, if the file cannot be written (nothing is left behind then).
  bool Write(const uint8_t* payload, size_t payload_bytes, kernels::ThreadPool& pool,
             std::string* error) const;

 private:
  std::string path_;
  std::string layout_;
  ModelIdentity model_;
};

// A 64-bit hash of bytes, computed in parallel chunks (the same value for any
// thread count).
uint64_t HashBytes(const uint8_t* data, size_t bytes, kernels::ThreadPool& pool);

}  // namespace bitbrain::runtime

#endif  // BITBRAIN_ENGINE_RUNTIME_REPACK_CACHE_H_
