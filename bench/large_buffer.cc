#include "bench/large_buffer.h"

#include <sys/mman.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace bitbrain::bench {
namespace {

constexpr size_t kHugePageBytes = size_t{2} << 20;

}  // namespace

LargeBuffer::LargeBuffer(size_t bytes, uint8_t fill) : size_(bytes) {
  // aligned_alloc needs a size that is a multiple of the alignment.
  const size_t rounded = (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  data_ = static_cast<uint8_t*>(std::aligned_alloc(kHugePageBytes, rounded == 0 ? kHugePageBytes : rounded));
  if (data_ == nullptr) throw std::bad_alloc();
  // Advice only: without huge pages the buffer still works, a little slower.
  madvise(data_, rounded, MADV_HUGEPAGE);
  // A non-zero fill: reading never-written memory could hit the shared zero page.
  std::memset(data_, fill, bytes);
}

LargeBuffer::~LargeBuffer() { std::free(data_); }

LargeBuffer::LargeBuffer(LargeBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

LargeBuffer& LargeBuffer::operator=(LargeBuffer&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace bitbrain::bench
