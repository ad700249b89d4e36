#include "bench/counters.h"

#include <map>

namespace bitbrain::bench {
namespace {

MachineLimits g_limits;

// The median of the samples for `threads`, or 0 if that count was not probed.
double Median(const std::map<int, RateSample>& samples, int threads) {
  const auto it = samples.find(threads);
  return it == samples.end() ? 0 : it->second.median;
}

}  // namespace

void SetMachineLimits(const MachineLimits& limits) { g_limits = limits; }

void SetCounters(benchmark::State& state, const CallCost& cost, int threads) {
  const double calls = static_cast<double>(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(cost.bytes * calls));
  if (cost.macs > 0) state.counters[kMacsCounter] = benchmark::Counter(cost.macs * calls, benchmark::Counter::kIsRate);

  const double bandwidth = Median(g_limits.read_bandwidth, threads);
  if (cost.reads_memory && bandwidth > 0) {
    // Seconds the reads would take at the probed bandwidth, per second taken.
    state.counters[kBandwidthFractionCounter] =
        benchmark::Counter(cost.bytes * calls / bandwidth, benchmark::Counter::kIsRate);
  }
  const double peak = Median(g_limits.int8_peak, threads);
  if (cost.int8_macs && peak > 0) {
    state.counters[kPeakFractionCounter] = benchmark::Counter(cost.macs * calls / peak, benchmark::Counter::kIsRate);
  }
}

}  // namespace bitbrain::bench
