#include "kernels/formats/i2s.h"

#include <cassert>
#include <cstring>

namespace bitbrain::i2s {

float Scale(const uint8_t* data, size_t n) {
  float scale;
  std::memcpy(&scale, data + n / 4, sizeof scale);
  return scale;
}

void Pack(std::span<const int8_t> ternary, float scale, std::span<uint8_t> out) {
  const size_t n = ternary.size();
  assert(n % kBlockElements == 0 && out.size() == TensorBytes(n));
  std::memset(out.data(), 0, out.size());
  for (size_t j = 0; j < n; ++j) {
    const size_t within = j % kBlockElements;
    const int shift = 6 - 2 * static_cast<int>(within / 32);
    const auto code = static_cast<uint8_t>(ternary[j] + 1);
    out[(j / kBlockElements) * kBlockBytes + within % 32] |= static_cast<uint8_t>(code << shift);
  }
  std::memcpy(out.data() + n / 4, &scale, sizeof scale);
}

void Unpack(const uint8_t* data, std::span<int8_t> out) {
  for (size_t j = 0; j < out.size(); ++j) out[j] = Get(data, j);
}

long FindInvalidCode(const uint8_t* data, size_t n) {
  for (size_t b = 0; b < n / 4; ++b) {
    const uint8_t byte = data[b];
    // A 2-bit field is 3 exactly when both of its bits are set.
    if ((byte & (byte >> 1) & 0x55u) != 0) return static_cast<long>(b);
  }
  return -1;
}

}  // namespace bitbrain::i2s
