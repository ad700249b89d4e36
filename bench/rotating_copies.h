// Copies of one weight tensor, enough of them to be much larger than the
// last-level cache, handed out in turn. A benchmark that runs each call on the
// next copy reads its weights from memory, as a decoding step does, instead of
// from the cache the previous call warmed.
#ifndef BITBRAIN_BENCH_ROTATING_COPIES_H_
#define BITBRAIN_BENCH_ROTATING_COPIES_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "bench/large_buffer.h"

namespace bitbrain::bench {

// 8x the 32 MB L3 of the target machines.
inline constexpr size_t kDefaultRotationBytes = size_t{256} << 20;

class RotatingCopies {
 public:
  // Makes ceil(min_total_bytes / bytes_per_copy) copies (at least one) of a
  // tensor of bytes_per_copy bytes, each starting on a 4 KiB boundary:
  // write_first writes the first copy, the others are copied from it.
  RotatingCopies(size_t bytes_per_copy, size_t min_total_bytes,
                 const std::function<void(uint8_t* first)>& write_first);

  // The copies in turn, starting over after the last.
  const uint8_t* Next();

  size_t count() const { return count_; }
  size_t bytes_per_copy() const { return bytes_per_copy_; }

 private:
  size_t bytes_per_copy_;
  size_t stride_;
  size_t count_;
  size_t next_ = 0;
  LargeBuffer buffer_;
};

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_ROTATING_COPIES_H_
