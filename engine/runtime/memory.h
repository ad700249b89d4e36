// Memory the engine manages by pages: anonymous mappings whose pages become
// resident only when first written (the KV cache grows with the positions
// used, not with the context length), and the release of file pages that are
// no longer needed (the I2_S bytes once they have been repacked).
#ifndef BITBRAIN_ENGINE_RUNTIME_MEMORY_H_
#define BITBRAIN_ENGINE_RUNTIME_MEMORY_H_

#include <cstddef>
#include <cstdint>

namespace bitbrain::runtime {

// When the pages of an AnonymousMemory become resident.
enum class Pages {
  kOnFirstWrite,  // for memory used gradually (the KV cache)
  kPrefaulted,    // all at once, for memory written whole right away: one
                  // kernel call instead of a fault per page (0.1 s less to
                  // load a 2B4T model)
};

// A private anonymous mapping, zero until written; unmapped on destruction.
// (No transparent huge pages: on a VM, faulting them in made loading a 2B4T
// model 9x slower, 17.6 s instead of 2.0 s, for no decoding gain.)
class AnonymousMemory {
 public:
  AnonymousMemory() = default;
  // Maps `bytes` (> 0). Throws std::runtime_error if the mapping fails.
  AnonymousMemory(size_t bytes, Pages pages);
  AnonymousMemory(AnonymousMemory&& other) noexcept;
  AnonymousMemory& operator=(AnonymousMemory&& other) noexcept;
  AnonymousMemory(const AnonymousMemory&) = delete;
  AnonymousMemory& operator=(const AnonymousMemory&) = delete;
  ~AnonymousMemory();

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Drops the whole pages inside [begin, begin + bytes) of a read-only file
// mapping from this process's resident set. The file's page cache keeps
// them (a restart reads them from memory); touching them again re-reads them.
void ReleaseFilePages(const void* begin, size_t bytes);

// This process's resident set size now and at its peak (VmRSS, VmHWM), in
// bytes; 0 where /proc is unavailable.
size_t ResidentBytes();
size_t PeakResidentBytes();

}  // namespace bitbrain::runtime

#endif  // BITBRAIN_ENGINE_RUNTIME_MEMORY_H_
