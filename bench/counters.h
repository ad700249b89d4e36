// The counters every kernel benchmark reports, and the machine limits (from
// the probes, measured once per run) they are compared with.
#ifndef BITBRAIN_BENCH_COUNTERS_H_
#define BITBRAIN_BENCH_COUNTERS_H_

#include <benchmark/benchmark.h>

#include "bench/probes.h"

namespace bitbrain::bench {

// Counter names, shared with the summary table.
inline constexpr char kMacsCounter[] = "MACs";                    // MAC/s
inline constexpr char kBandwidthFractionCounter[] = "of_bandwidth";  // 0..1
inline constexpr char kPeakFractionCounter[] = "of_int8_peak";       // 0..1
// Google Benchmark's own name for SetBytesProcessed's rate.
inline constexpr char kBytesCounter[] = "bytes_per_second";

// What one call of the benchmarked kernel does.
struct CallCost {
  double bytes = 0;  // bytes it reads (for weight kernels: the packed weights)
  double macs = 0;   // multiply-accumulates (0: not a multiply kernel)
  // The bytes come from memory (rotated weights), so the read bandwidth is
  // the yardstick; otherwise they sit in cache and no fraction is reported.
  bool reads_memory = false;
  // The MACs are int8 products, so the int8 peak is the yardstick.
  bool int8_macs = false;
};

// Stores the probes' results for the counters; call once before running.
void SetMachineLimits(const MachineLimits& limits);

// After the benchmark loop: bytes/s (SetBytesProcessed), MACs (a rate), and
// of_bandwidth / of_int8_peak: the time the call would take at the limit
// measured for `threads` threads divided by the time it took (these print
// with a "/s" suffix on the console; the value is a plain fraction).
void SetCounters(benchmark::State& state, const CallCost& cost, int threads);

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_COUNTERS_H_
