// Probes of the machine's limits, measured inside the running process so that
// kernel benchmarks can be reported as a fraction of what this hardware gives
// right now (a shared VM drifts from run to run):
//  - read bandwidth: threads streaming through a buffer far larger than the
//    last-level cache, as a decoding step streams the weights;
//  - int8 dot-product peak: a dependency-free loop of the widest int8
//    multiply-add instruction the CPU has, which bounds prefill GEMM.
#ifndef BITBRAIN_BENCH_PROBES_H_
#define BITBRAIN_BENCH_PROBES_H_

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace bitbrain::bench {

// Repeated measurements of one rate (units per second).
struct RateSample {
  double median = 0;
  double best = 0;
  double worst = 0;
};

// Bytes per second read by `threads` threads together, each streaming its
// contiguous share of a buffer of `buffer_bytes` bytes; `passes` timed passes
// after one warm-up pass. Uses 512-bit loads where the CPU has them.
RateSample MeasureReadBandwidth(int threads, size_t buffer_bytes, int passes);

// The int8 multiply-add instructions the peak probe knows.
enum class Int8DotInstruction {
  kAvx2Maddubs,  // vpmaddubsw ymm: 32 u8 x s8 products, added in pairs to int16
  kAvx512Vnni,   // vpdpbusd zmm: 64 u8 x s8 products, added in fours to int32
};

const char* Name(Int8DotInstruction instruction);
int MacsPerInstruction(Int8DotInstruction instruction);
bool CpuSupports(Int8DotInstruction instruction);

// Multiply-accumulates per second of `threads` threads, each running its own
// loop of independent `instruction`s for about `seconds_per_repetition`.
RateSample MeasureInt8Peak(Int8DotInstruction instruction, int threads, int repetitions,
                           double seconds_per_repetition);

struct ProbeOptions {
  size_t bandwidth_buffer_bytes = size_t{1} << 30;  // 32x the 32 MB L3
  int bandwidth_passes = 7;
  int peak_repetitions = 5;
  double peak_seconds_per_repetition = 0.1;
};

// Everything the probes measured, by thread count.
struct MachineLimits {
  std::map<int, RateSample> read_bandwidth;  // bytes/s
  // The widest int8 instruction the CPU has; its peak is the GEMM yardstick.
  Int8DotInstruction int8_instruction = Int8DotInstruction::kAvx2Maddubs;
  std::map<int, RateSample> int8_peak;  // MAC/s of int8_instruction
  // Every supported instruction's peak, for the record (includes the above).
  std::map<Int8DotInstruction, std::map<int, RateSample>> int8_peak_by_instruction;
};

// Runs every probe for every thread count (bandwidth first, then the peaks).
MachineLimits ProbeMachine(const std::vector<int>& thread_counts, const ProbeOptions& options);

// The measurements as (key, value) lines, e.g. ("read_bandwidth_2t_GB/s",
// "33.4 (best 35.0, worst 31.2)"), for benchmark context or logs.
std::vector<std::pair<std::string, std::string>> Describe(const MachineLimits& limits);

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_PROBES_H_
