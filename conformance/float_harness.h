// Test data and helpers for the float kernels (NUMERICS.md sections 1 and 2):
// random f32 and f16 data of chosen magnitudes, the special values every
// kernel must handle, and runners that drive a registry variant the way the
// engine does (the LM head over a thread pool, the steps of attention).
//
// Variants are compared with the scalar kernels bit for bit, except that a
// NaN result matches any NaN where a kernel combines values (sums, products):
// the contract fixes when a result is NaN, but not which NaN, since IEEE 754
// does not say which NaN operand propagates and compilers may swap the
// operands of commutative operations. The f16 conversions, exp_c and Max
// define their NaN bits (section 1.2; Max returns its first NaN) and are
// compared exactly.
#ifndef BITBRAIN_CONFORMANCE_FLOAT_HARNESS_H_
#define BITBRAIN_CONFORMANCE_FLOAT_HARNESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/thread_pool.h"

namespace bitbrain::conformance {

// n floats sign * 2^e * (1 + fraction) with e uniform in
// [min_exponent, max_exponent] and a random sign and fraction: values that
// spread over many binades, as activations do.
std::vector<float> RandomFloats(size_t n, uint64_t seed, int min_exponent, int max_exponent);

// The same as f16 bits, exponents within f16's normal range [-14, 15].
std::vector<uint16_t> RandomF16(size_t n, uint64_t seed, int min_exponent, int max_exponent);

// RandomF16 converted to floats (f16 values, as q and the head input are).
std::vector<float> RandomF16Floats(size_t n, uint64_t seed, int min_exponent, int max_exponent);

// Floats every kernel must treat per the contract: signed zeros and
// infinities, NaNs with payloads, subnormals, the f32 and f16 limits and the
// values next to them.
std::vector<float> SpecialFloats();

// "" if the u16 vectors are equal, else the first difference.
std::string FirstDifferenceU16(const std::vector<uint16_t>& a, const std::vector<uint16_t>& b);

// logits[t * rows + v] of variant k for a rows x cols f16 matrix and tokens
// vectors of cols floats (hn), rows split over pool.
std::vector<float> RunHeadMatmul(const kernels::Kernels& k, kernels::ThreadPool& pool,
                                 const std::vector<uint16_t>& embeddings, int rows, int cols,
                                 const float* hn, int tokens);

// Every intermediate of attention for one query head (section 2.4).
struct AttentionSteps {
  std::vector<float> scores;
  float max = 0;
  std::vector<float> e;
  float sum = 0;
  std::vector<float> p;
  std::vector<float> o;
};

// Attention of query q (head_dim f16 values as floats) over positions of an
// f16 cache: key j at keys + j * stride, value j at values + j * stride.
AttentionSteps RunAttention(const kernels::Kernels& k, const std::vector<float>& q,
                            const uint16_t* keys, const uint16_t* values, size_t stride,
                            int positions);

// "" if every step of a equals b's bit for bit (a NaN matching any NaN), else
// the first step that differs and where.
std::string FirstDifference(const AttentionSteps& a, const AttentionSteps& b);

}  // namespace bitbrain::conformance

#endif  // BITBRAIN_CONFORMANCE_FLOAT_HARNESS_H_
