// Registration of the kernel benchmarks: every kernel family of the registry
// (kernels/kernels.h) x every supported variant x the 2B4T shapes. Variants
// come from the registry, so adding one adds its benchmarks.
#ifndef BITBRAIN_BENCH_KERNEL_BENCHMARKS_H_
#define BITBRAIN_BENCH_KERNEL_BENCHMARKS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/rotating_copies.h"
#include "kernels/kernels.h"

namespace bitbrain::bench {

// K x N: cols (input) x rows (output), ne0 x ne1 in GGUF terms.
struct MatmulShape {
  int cols;
  int rows;
};

// "2560x6912"
inline std::string ShapeName(MatmulShape shape) {
  return std::to_string(shape.cols) + "x" + std::to_string(shape.rows);
}

// The BitLinear shapes of BitNet b1.58 2B4T: q/o, k/v, gate/up, down.
inline constexpr MatmulShape kTernaryShapes[] = {{2560, 2560}, {2560, 640}, {2560, 6912}, {6912, 2560}};
// The tied-embedding LM head.
inline constexpr MatmulShape kHeadShape = {2560, 128256};

// Which token and thread counts the matmul benchmarks cover.
struct MatmulPlan {
  std::vector<int> token_counts;   // 1 is GEMV (decoding), more is GEMM
  std::vector<int> thread_counts;  // threads of the shared pool
  // Google Benchmark runs every benchmark at least once, and one call of the
  // scalar truth on the head with 128 tokens takes many minutes: a case whose
  // call is estimated to take longer than this is skipped, with a message.
  double max_seconds_per_call = 2;
  // Ternary weights rotate among copies of at least this many bytes, so that
  // they come from memory; 0 keeps one copy, hot in cache, which shows the
  // kernel's compute ceiling (the head is always larger than the cache).
  size_t ternary_rotation_bytes = kDefaultRotationBytes;
};

// Called with one copy of the weights and a range of output rows.
using CallRowsOn = std::function<void(const uint8_t* weights, int row_begin, int row_end)>;

// The timing loop of a matmul benchmark: each iteration runs call_rows over
// all `rows` of the next weight copy, split among `threads` in multiples of
// `row_tile`. First, a call over 64 rows estimates one whole call; a case
// estimated over plan.max_seconds_per_call is skipped with a message and
// false is returned (then the caller sets no counters).
bool TimeRowSplitKernel(benchmark::State& state, RotatingCopies& weights, int rows, int row_tile,
                        int threads, const MatmulPlan& plan, const CallRowsOn& call_rows);

// Registers the cases "family/variant/shape/tokens:T/threads:N" for every
// token and thread count of `plan`; run(state, tokens, threads) times one.
using RunMatmulCase = std::function<void(benchmark::State& state, int tokens, int threads)>;
void RegisterMatmulCases(const std::string& family, kernels::Isa isa, MatmulShape shape,
                         const MatmulPlan& plan, const RunMatmulCase& run);

void RegisterTernaryMatmulBenchmarks(const MatmulPlan& plan);
void RegisterHeadMatmulBenchmarks(const MatmulPlan& plan);
// Activation quantization and the float kernels, one thread, one token.
void RegisterVectorKernelBenchmarks();

// The supported variants that have their own code for a family, in the
// registry's order: a variant whose table entry is null or points at a lower
// variant's function would only measure the same code again.
template <typename Fn>
std::vector<kernels::Isa> VariantsWithOwnCode(Fn (*entry)(const kernels::Kernels&)) {
  std::vector<kernels::Isa> variants;
  std::vector<Fn> seen;
  for (kernels::Isa isa : kernels::SupportedIsas()) {
    const Fn fn = entry(kernels::KernelsFor(isa));
    if (fn == nullptr) continue;
    bool is_new = true;
    for (Fn other : seen) is_new &= other != fn;
    if (!is_new) continue;
    seen.push_back(fn);
    variants.push_back(isa);
  }
  return variants;
}

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_KERNEL_BENCHMARKS_H_
