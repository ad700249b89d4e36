// Deterministic pseudo-random inputs for the kernel benchmarks. Timing does
// not depend on the values (the kernels have no data-dependent branches), but
// they are kept realistic: valid ternary codes, finite activations.
#ifndef BITBRAIN_BENCH_SYNTHETIC_DATA_H_
#define BITBRAIN_BENCH_SYNTHETIC_DATA_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bitbrain::bench {

// `bytes` bytes of I2_S codes: four 2-bit codes per byte, each 0, 1 or 2.
void FillI2sCodes(uint8_t* out, size_t bytes, uint64_t seed);

// n floats uniform in [-magnitude, magnitude].
std::vector<float> RandomFloats(size_t n, float magnitude, uint64_t seed);

// n floats that are exactly f16 values, in (-1, 1).
std::vector<float> RandomF16ValuedFloats(size_t n, uint64_t seed);

// n finite f16 bit patterns with magnitudes in [2^-8, 2).
void FillF16(uint16_t* out, size_t n, uint64_t seed);

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_SYNTHETIC_DATA_H_
