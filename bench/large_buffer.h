// A large byte buffer for streaming benchmarks: 2 MiB-aligned and advised to
// use transparent huge pages (fewer TLB misses when streaming hundreds of
// MB), with every page touched at construction so that no benchmark pays for
// page faults.
#ifndef BITBRAIN_BENCH_LARGE_BUFFER_H_
#define BITBRAIN_BENCH_LARGE_BUFFER_H_

#include <cstddef>
#include <cstdint>

namespace bitbrain::bench {

class LargeBuffer {
 public:
  // Allocates `bytes` bytes filled with `fill`. Throws std::bad_alloc.
  explicit LargeBuffer(size_t bytes, uint8_t fill = 0x5a);
  ~LargeBuffer();
  LargeBuffer(LargeBuffer&& other) noexcept;
  LargeBuffer& operator=(LargeBuffer&& other) noexcept;
  LargeBuffer(const LargeBuffer&) = delete;
  LargeBuffer& operator=(const LargeBuffer&) = delete;

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_LARGE_BUFFER_H_
