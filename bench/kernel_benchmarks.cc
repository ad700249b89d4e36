#include "bench/kernel_benchmarks.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "bench/case_label.h"
#include "kernels/thread_pool.h"

namespace bitbrain::bench {

bool TimeRowSplitKernel(benchmark::State& state, RotatingCopies& weights, int rows, int row_tile,
                        int threads, const MatmulPlan& plan, const CallRowsOn& call_rows) {
  const int slice = std::min(rows, (64 + row_tile - 1) / row_tile * row_tile);
  const auto start = std::chrono::steady_clock::now();
  call_rows(weights.Next(), 0, slice);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double estimate = seconds * rows / slice / threads;
  if (estimate > plan.max_seconds_per_call) {
    char message[128];
    std::snprintf(message, sizeof(message), "skipped: ~%.1f s per call > --max_seconds_per_call=%g",
                  estimate, plan.max_seconds_per_call);
    state.SkipWithError(message);
    return false;
  }
  kernels::ThreadPool pool(threads);
  for (auto _ : state) {
    const uint8_t* copy = weights.Next();
    pool.ParallelRows(rows, row_tile, [&](int begin, int end) { call_rows(copy, begin, end); });
    benchmark::ClobberMemory();
  }
  return true;
}

void RegisterMatmulCases(const std::string& family, kernels::Isa isa, MatmulShape shape,
                         const MatmulPlan& plan, const RunMatmulCase& run) {
  for (int tokens : plan.token_counts) {
    for (int threads : plan.thread_counts) {
      const std::string name = CaseName({.kernel = family,
                                         .variant = kernels::IsaName(isa),
                                         .shape = ShapeName(shape),
                                         .tokens = tokens,
                                         .threads = threads});
      benchmark::RegisterBenchmark(name.c_str(),
                                   [=](benchmark::State& state) { run(state, tokens, threads); })
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace bitbrain::bench
