#include "bench/rotating_copies.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace bitbrain::bench {
namespace {

constexpr size_t kCopyAlignment = 4096;

size_t CopyCount(size_t bytes_per_copy, size_t min_total_bytes) {
  if (bytes_per_copy == 0) throw std::invalid_argument("RotatingCopies: empty tensor");
  return std::max<size_t>(1, (min_total_bytes + bytes_per_copy - 1) / bytes_per_copy);
}

}  // namespace

RotatingCopies::RotatingCopies(size_t bytes_per_copy, size_t min_total_bytes,
                               const std::function<void(uint8_t* first)>& write_first)
    : bytes_per_copy_(bytes_per_copy),
      stride_((bytes_per_copy + kCopyAlignment - 1) / kCopyAlignment * kCopyAlignment),
      count_(CopyCount(bytes_per_copy, min_total_bytes)),
      buffer_(stride_ * count_) {
  write_first(buffer_.data());
  for (size_t i = 1; i < count_; ++i) std::memcpy(buffer_.data() + i * stride_, buffer_.data(), bytes_per_copy_);
}

const uint8_t* RotatingCopies::Next() {
  const uint8_t* copy = buffer_.data() + next_ * stride_;
  next_ = next_ + 1 == count_ ? 0 : next_ + 1;
  return copy;
}

}  // namespace bitbrain::bench
