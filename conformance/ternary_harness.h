// Test data and runners for the BitLinear kernels (activation quantization
// and ternary matmul, NUMERICS.md section 2.3): the contract written out
// plainly from the spec (i2s::Get, no kernel code), and a runner that drives
// any registry variant the way the engine does (quantize each token, repack
// the weights, split rows over a thread pool).
#ifndef BITBRAIN_CONFORMANCE_TERNARY_HARNESS_H_
#define BITBRAIN_CONFORMANCE_TERNARY_HARNESS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "kernels/thread_pool.h"

namespace bitbrain::conformance {

// A rows x cols I2_S weight tensor (row r = elements r*cols .. r*cols+cols-1).
struct TernaryWeights {
  int rows = 0;
  int cols = 0;
  std::vector<uint8_t> i2s;  // i2s::TensorBytes(rows * cols) bytes
  float scale = 0;
};

enum class WeightFill { kRandom, kAllMinusOne, kAllPlusOne, kAllZero };

TernaryWeights MakeWeights(int rows, int cols, WeightFill fill, uint32_t seed);

// tokens x cols activations; each token has its own magnitude (1e-6 .. 1e4)
// and a few outliers, as hidden states do.
std::vector<float> RandomActivations(int tokens, int cols, uint32_t seed);

// One token quantized: q, s and sum(q).
struct QuantizedToken {
  std::vector<int8_t> q;
  float scale = 0;
  int32_t q_sum = 0;
};

// NUMERICS.md section 2.3, transcribed.
QuantizedToken SpecQuantize(const float* x, int cols);

// y[t * rows + r] per section 2.3, with the weights read by i2s::Get.
std::vector<float> SpecTernaryMatmul(const TernaryWeights& w, const std::vector<float>& x,
                                     int tokens);

// A kernel variant with one of its ternary weight layouts.
struct TernaryVariant {
  const kernels::Kernels* kernels;
  kernels::TernaryLayout layout;

  const kernels::TernaryMatmul& matmul() const { return kernels->ternary(layout); }
  std::string Name() const;  // e.g. "avx2/compact"
};

// Weights repacked into a variant's layout.
std::vector<uint8_t> PackFor(const TernaryVariant& v, const TernaryWeights& w);

// y[t * rows + r] computed by variant v: its quantization, its matmul on
// `packed` (= PackFor(v, w)), rows split over `pool`.
std::vector<float> RunTernaryMatmul(const TernaryVariant& v, kernels::ThreadPool& pool,
                                    const TernaryWeights& w, const std::vector<uint8_t>& packed,
                                    const std::vector<float>& x, int tokens);

// A shared pool of each size used by the tests (1, 2, 3 threads).
kernels::ThreadPool& Pool(int threads);

// The variants this CPU can run, scalar first.
std::vector<const kernels::Kernels*> RunnableVariants();

// Each of those with each ternary layout (scalar 2-bit first: the truth).
std::vector<TernaryVariant> RunnableTernaryVariants();

// How FirstDifference compares NaNs: by their bits (variants against the
// scalar kernel), or any NaN as equal to any other (against the spec, which
// fixes that a value is NaN but not which NaN).
enum class NanBits { kExact, kAny };

// "" if a and b are equal bit for bit, else where they first differ
// (element i reported as token i / rows, row i % rows, both values' bits).
std::string FirstDifference(const std::vector<float>& a, const std::vector<float>& b, int rows,
                            NanBits nans = NanBits::kExact);

}  // namespace bitbrain::conformance

#endif  // BITBRAIN_CONFORMANCE_TERNARY_HARNESS_H_
