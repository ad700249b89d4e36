#include "bench/probes.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <latch>
#include <stdexcept>
#include <thread>

#include "bench/large_buffer.h"
#include "bench/probe_loops.h"

namespace bitbrain::bench {
namespace {

// Results of the probe loops land here so that no loop is dead code.
std::atomic<uint64_t> g_sink{0};

bool HasAvx512() {
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
}

// Seconds from the moment all `threads` threads are ready until the last one
// finishes work(thread_index); thread start-up is not timed.
double TimeParallel(int threads, const std::function<void(int)>& work) {
  std::latch ready(threads + 1);
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.arrive_and_wait();
      work(t);
    });
  }
  ready.arrive_and_wait();
  const auto start = std::chrono::steady_clock::now();
  for (std::thread& thread : pool) thread.join();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

RateSample Summarize(std::vector<double> rates) {
  std::sort(rates.begin(), rates.end());
  const size_t n = rates.size();
  const double median = n % 2 == 1 ? rates[n / 2] : (rates[n / 2 - 1] + rates[n / 2]) / 2;
  return {.median = median, .best = rates.back(), .worst = rates.front()};
}

int64_t RunPeakLoop(Int8DotInstruction instruction, int64_t iterations) {
  switch (instruction) {
    case Int8DotInstruction::kAvx2Maddubs:
      return MaddubsLoopAvx2(iterations);
    case Int8DotInstruction::kAvx512Vnni:
      return DpbusdLoopAvx512(iterations);
  }
  return 0;
}

int InstructionsPerIteration(Int8DotInstruction instruction) {
  return instruction == Int8DotInstruction::kAvx512Vnni ? kDpbusdPerIteration : kMaddubsPerIteration;
}

std::string FormatSample(const RateSample& sample, double unit) {
  char text[96];
  std::snprintf(text, sizeof(text), "%.1f (best %.1f, worst %.1f)", sample.median / unit, sample.best / unit,
                sample.worst / unit);
  return text;
}

}  // namespace

RateSample MeasureReadBandwidth(int threads, size_t buffer_bytes, int passes) {
  if (threads < 1 || passes < 1) throw std::invalid_argument("MeasureReadBandwidth: threads and passes must be >= 1");
  // Each thread's share is a whole number of loop steps.
  const size_t share = buffer_bytes / threads / kReadLoopStepBytes * kReadLoopStepBytes;
  if (share == 0) throw std::invalid_argument("MeasureReadBandwidth: buffer too small");
  const LargeBuffer buffer(share * threads);
  if (!__builtin_cpu_supports("avx2")) throw std::runtime_error("the read bandwidth probe needs AVX2");
  const auto read_sum = HasAvx512() ? ReadSumAvx512 : ReadSumAvx2;
  const auto pass = [&](int t) { g_sink += read_sum(buffer.data() + t * share, share); };

  TimeParallel(threads, pass);  // warm-up: brings the pages' TLB entries and the clocks up
  std::vector<double> rates;
  for (int p = 0; p < passes; ++p) rates.push_back(static_cast<double>(share * threads) / TimeParallel(threads, pass));
  return Summarize(rates);
}

const char* Name(Int8DotInstruction instruction) {
  switch (instruction) {
    case Int8DotInstruction::kAvx2Maddubs:
      return "avx2_vpmaddubsw";
    case Int8DotInstruction::kAvx512Vnni:
      return "avx512_vpdpbusd";
  }
  return "?";
}

int MacsPerInstruction(Int8DotInstruction instruction) {
  return instruction == Int8DotInstruction::kAvx512Vnni ? 64 : 32;
}

bool CpuSupports(Int8DotInstruction instruction) {
  switch (instruction) {
    case Int8DotInstruction::kAvx2Maddubs:
      return __builtin_cpu_supports("avx2");
    case Int8DotInstruction::kAvx512Vnni:
      return HasAvx512() && __builtin_cpu_supports("avx512vnni");
  }
  return false;
}

RateSample MeasureInt8Peak(Int8DotInstruction instruction, int threads, int repetitions,
                           double seconds_per_repetition) {
  if (!CpuSupports(instruction)) throw std::invalid_argument(std::string("CPU lacks ") + Name(instruction));
  if (threads < 1 || repetitions < 1) throw std::invalid_argument("MeasureInt8Peak: threads and repetitions must be >= 1");
  // Calibrate the iteration count on one thread (also the warm-up).
  int64_t iterations = 1 << 14;
  for (;;) {
    const double seconds = TimeParallel(1, [&](int) { g_sink += RunPeakLoop(instruction, iterations); });
    if (seconds >= seconds_per_repetition / 4) {
      iterations = static_cast<int64_t>(iterations * seconds_per_repetition / seconds) + 1;
      break;
    }
    iterations *= 4;
  }
  const double macs_per_thread =
      static_cast<double>(iterations) * InstructionsPerIteration(instruction) * MacsPerInstruction(instruction);
  std::vector<double> rates;
  for (int r = 0; r < repetitions; ++r) {
    const double seconds = TimeParallel(threads, [&](int) { g_sink += RunPeakLoop(instruction, iterations); });
    rates.push_back(macs_per_thread * threads / seconds);
  }
  return Summarize(rates);
}

MachineLimits ProbeMachine(const std::vector<int>& thread_counts, const ProbeOptions& options) {
  MachineLimits limits;
  for (int threads : thread_counts) {
    limits.read_bandwidth[threads] =
        MeasureReadBandwidth(threads, options.bandwidth_buffer_bytes, options.bandwidth_passes);
  }
  for (Int8DotInstruction instruction : {Int8DotInstruction::kAvx2Maddubs, Int8DotInstruction::kAvx512Vnni}) {
    if (!CpuSupports(instruction)) continue;
    for (int threads : thread_counts) {
      limits.int8_peak_by_instruction[instruction][threads] = MeasureInt8Peak(
          instruction, threads, options.peak_repetitions, options.peak_seconds_per_repetition);
    }
    // Later entries are wider instructions: the last supported one wins.
    limits.int8_instruction = instruction;
    limits.int8_peak = limits.int8_peak_by_instruction[instruction];
  }
  return limits;
}

std::vector<std::pair<std::string, std::string>> Describe(const MachineLimits& limits) {
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& [threads, sample] : limits.read_bandwidth) {
    lines.emplace_back("read_bandwidth_" + std::to_string(threads) + "t_GB/s", FormatSample(sample, 1e9));
  }
  for (const auto& [instruction, by_threads] : limits.int8_peak_by_instruction) {
    for (const auto& [threads, sample] : by_threads) {
      lines.emplace_back(std::string("int8_peak_") + Name(instruction) + "_" + std::to_string(threads) + "t_GMAC/s",
                         FormatSample(sample, 1e9));
    }
  }
  lines.emplace_back("int8_peak_instruction", Name(limits.int8_instruction));
  return lines;
}

}  // namespace bitbrain::bench
