// Deterministic random numbers for synthetic models: the same seed gives the
// same numbers on any machine and compiler. Only integer arithmetic and IEEE
// +, -, *, / and sqrt are used (no std::*_distribution, no libm
// transcendentals, whose last bits differ between C libraries).
#ifndef BITBRAIN_ENGINE_SYNTHETIC_RANDOM_H_
#define BITBRAIN_ENGINE_SYNTHETIC_RANDOM_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace bitbrain::synthetic {

// SplitMix64 (Steele, Lea, Flood 2014): advances `state` and returns the next
// output. Used to seed Xoshiro256 and to mix seeds.
uint64_t SplitMix64(uint64_t& state);

// xoshiro256** 1.0 (Blackman, Vigna 2018): the generator for all samples.
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed);  // state from four SplitMix64 outputs
  uint64_t Next();

 private:
  std::array<uint64_t, 4> s_;
};

// The seed of one independent stream: a hash of the model seed, a name (a
// tensor's) and a chunk index, so tensors and chunks of a tensor can be
// generated in any order or in parallel with the same result.
uint64_t StreamSeed(uint64_t seed, std::string_view name, uint64_t chunk);

// Natural logarithm of x > 0, to within a few ulp.
double Log(double x);

// The standard normal quantile function Phi^-1(p) for 0 < p < 1 (Acklam's
// rational approximation, relative error below 1.2e-9).
double InverseNormalCdf(double p);

// Standard normal samples with 16-bit resolution: entry k is
// Phi^-1((k + 1/2) / 65536), so a uniformly random 16-bit k gives an
// (inverse-transform) sample of N(0, 1), ranging over about +-4.3.
inline constexpr int kNormalTableBits = 16;
using NormalTable = std::array<float, size_t{1} << kNormalTableBits>;
const NormalTable& StandardNormalTable();

}  // namespace bitbrain::synthetic

#endif  // BITBRAIN_ENGINE_SYNTHETIC_RANDOM_H_
