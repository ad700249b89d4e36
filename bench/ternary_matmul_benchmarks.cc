// Ternary matmul (BitLinear) benchmarks, for each weight layout of the
// registry ("ternary_matmul": 2 bits per weight, "compact_ternary_matmul":
// 1.6): weights in each variant's packed layout, rotated among copies far larger than the L3 so that every call
// streams its weights from memory; rows split by the shared thread pool.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/counters.h"
#include "bench/kernel_benchmarks.h"
#include "bench/rotating_copies.h"
#include "bench/synthetic_data.h"
#include "kernels/thread_pool.h"

namespace bitbrain::bench {
namespace {

using kernels::Isa;
using kernels::Kernels;
using kernels::TernaryMatmul;

// Tokens of random activations, quantized by the variant under test.
class QuantizedTokens {
 public:
  QuantizedTokens(const Kernels& kernels, int cols, int tokens)
      : cols_(cols), tokens_(tokens), q_(static_cast<size_t>(cols) * tokens), scale_(tokens), q_sum_(tokens) {
    const std::vector<float> x = RandomFloats(q_.size(), 4.0f, /*seed=*/7);
    for (int t = 0; t < tokens; ++t) {
      const size_t offset = static_cast<size_t>(t) * cols;
      kernels.quantize_activations(x.data() + offset, cols, q_.data() + offset, &scale_[t], &q_sum_[t]);
    }
  }

  kernels::QuantizedActivations View() const {
    return {.q = q_.data(), .q_stride = static_cast<size_t>(cols_), .scale = scale_.data(), .q_sum = q_sum_.data(),
            .tokens = tokens_};
  }

 private:
  int cols_;
  int tokens_;
  std::vector<int8_t> q_;
  std::vector<float> scale_;
  std::vector<int32_t> q_sum_;
};

// Rotating copies (rotation_bytes in all, one run uses one value) of random
// weights packed for `matmul`. Benchmarks are registered so that consecutive
// ones share a layout and shape: only the latest set is kept, which bounds
// memory to one set.
RotatingCopies& PackedWeights(const TernaryMatmul& matmul, MatmulShape shape, size_t rotation_bytes) {
  struct Cached {
    decltype(TernaryMatmul::pack) pack = nullptr;
    MatmulShape shape{};
    std::unique_ptr<RotatingCopies> copies;
  };
  static Cached cached;
  if (cached.copies == nullptr || cached.pack != matmul.pack || cached.shape.cols != shape.cols ||
      cached.shape.rows != shape.rows) {
    cached.copies.reset();  // free the old set before making the new one
    std::vector<uint8_t> i2s(static_cast<size_t>(shape.rows) * shape.cols / 4);
    FillI2sCodes(i2s.data(), i2s.size(), /*seed=*/1);
    cached.copies = std::make_unique<RotatingCopies>(
        matmul.packed_bytes(shape.rows, shape.cols), rotation_bytes,
        [&](uint8_t* first) { matmul.pack(i2s.data(), shape.rows, shape.cols, first); });
    cached.pack = matmul.pack;
    cached.shape = shape;
  }
  return *cached.copies;
}

void BenchmarkTernaryMatmul(benchmark::State& state, Isa isa, kernels::TernaryLayout layout, MatmulShape shape,
                            int tokens, int threads, const MatmulPlan& plan) {
  const Kernels& kernels = kernels::KernelsFor(isa);
  const TernaryMatmul& matmul = kernels.ternary(layout);
  RotatingCopies* weights = nullptr;
  try {
    weights = &PackedWeights(matmul, shape, plan.ternary_rotation_bytes);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const QuantizedTokens x(kernels, shape.cols, tokens);
  const kernels::QuantizedActivations view = x.View();
  std::vector<float> y(static_cast<size_t>(tokens) * shape.rows);
  constexpr float kWeightScale = 0.75f;
  const auto call_rows = [&](const uint8_t* packed, int begin, int end) {
    matmul.matmul(packed, shape.rows, shape.cols, kWeightScale, view, begin, end, y.data(), shape.rows);
  };

  if (!TimeRowSplitKernel(state, *weights, shape.rows, matmul.row_tile, threads, plan, call_rows)) return;
  benchmark::DoNotOptimize(y.data());
  SetCounters(state,
              {.bytes = static_cast<double>(weights->bytes_per_copy()),
               .macs = static_cast<double>(shape.rows) * shape.cols * tokens,
               .reads_memory = plan.ternary_rotation_bytes > 0,
               .int8_macs = true},
              threads);
}

}  // namespace

void RegisterTernaryMatmulBenchmarks(const MatmulPlan& plan) {
  using kernels::TernaryLayout;
  for (TernaryLayout layout : kernels::kTernaryLayouts) {
    const auto entry = layout == TernaryLayout::kCompact
                           ? +[](const Kernels& k) { return k.compact_ternary_matmul.matmul; }
                           : +[](const Kernels& k) { return k.ternary_matmul.matmul; };
    const std::string family = layout == TernaryLayout::kCompact ? "compact_ternary_matmul" : "ternary_matmul";
    for (Isa isa : VariantsWithOwnCode(entry)) {
      for (MatmulShape shape : kTernaryShapes) {
        RegisterMatmulCases(family, isa, shape, plan,
                            [=](benchmark::State& state, int tokens, int threads) {
                              BenchmarkTernaryMatmul(state, isa, layout, shape, tokens, threads, plan);
                            });
      }
    }
  }
}

}  // namespace bitbrain::bench
