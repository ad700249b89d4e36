#include "bench/synthetic_data.h"

#include "kernels/formats/f16.h"

namespace bitbrain::bench {
namespace {

// SplitMix64: fast, and good enough for benchmark inputs.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  float Unit() { return static_cast<float>(Next() >> 40) * 0x1p-24f; }

 private:
  uint64_t state_;
};

}  // namespace

void FillI2sCodes(uint8_t* out, size_t bytes, uint64_t seed) {
  Random random(seed);
  for (size_t i = 0; i < bytes; ++i) {
    const uint64_t bits = random.Next();
    uint8_t byte = 0;
    // Each 16-bit slice picks one code in {0, 1, 2} (bias ~1e-5, irrelevant).
    for (int k = 0; k < 4; ++k) byte = static_cast<uint8_t>(byte << 2 | ((bits >> (16 * k)) & 0xffff) % 3);
    out[i] = byte;
  }
}

std::vector<float> RandomFloats(size_t n, float magnitude, uint64_t seed) {
  Random random(seed);
  std::vector<float> values(n);
  for (float& v : values) v = (2 * random.Unit() - 1) * magnitude;
  return values;
}

std::vector<float> RandomF16ValuedFloats(size_t n, uint64_t seed) {
  std::vector<float> values = RandomFloats(n, 1.0f, seed);
  for (float& v : values) v = RoundToF16(v);
  return values;
}

void FillF16(uint16_t* out, size_t n, uint64_t seed) {
  Random random(seed);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t bits = random.Next();
    const uint16_t sign = static_cast<uint16_t>((bits & 1) << 15);
    const uint16_t exponent = static_cast<uint16_t>(7 + (bits >> 1) % 9);  // biased 7..15: 2^-8 .. 2^0
    const uint16_t mantissa = static_cast<uint16_t>((bits >> 8) & 0x3ff);
    out[i] = static_cast<uint16_t>(sign | exponent << 10 | mantissa);
  }
}

}  // namespace bitbrain::bench
