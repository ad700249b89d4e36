// bazel run //bench:kernels [-- flags]: probes the machine's read bandwidth
// and int8 peak, then benchmarks every kernel x variant x 2B4T shape and
// prints a summary table. See README.md for the flags and counters.
#include <benchmark/benchmark.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/count_list.h"
#include "bench/counters.h"
#include "bench/kernel_benchmarks.h"
#include "bench/probes.h"
#include "bench/summary_reporter.h"
#include "kernels/isa.h"

namespace bitbrain::bench {
namespace {

// The flags this binary adds to Google Benchmark's.
struct Flags {
  MatmulPlan plan{.token_counts = {1, 8, 32, 128}, .thread_counts = {1, 2}};
  std::string format = "console";  // --benchmark_format, read here for the summary reporter
  bool list_only = false;          // --benchmark_list_tests: no probes needed
};

double ParseSeconds(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || !(value > 0)) {
    throw std::invalid_argument("--max_seconds_per_call wants a positive number of seconds, got '" +
                                std::string(text) + "'");
  }
  return value;
}

// Takes this binary's flags out of argv (Google Benchmark rejects unknown
// ones), reads the benchmark flags it needs to know, and adds a shorter
// default --benchmark_min_time.
Flags ParseFlags(int& argc, char** argv, std::vector<std::string>& extra_args) {
  Flags flags;
  bool has_min_time = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--quick") {
      flags.plan.token_counts = {1, 128};
      flags.plan.thread_counts = {2};
    } else if (arg.starts_with("--tokens=")) {
      flags.plan.token_counts = ParseCounts("--tokens", arg.substr(std::strlen("--tokens=")));
    } else if (arg == "--hot_weights") {
      flags.plan.ternary_rotation_bytes = 0;
    } else if (arg.starts_with("--max_seconds_per_call=")) {
      flags.plan.max_seconds_per_call = ParseSeconds(arg.substr(std::strlen("--max_seconds_per_call=")));
    } else if (arg.starts_with("--threads=")) {
      flags.plan.thread_counts = ParseCounts("--threads", arg.substr(std::strlen("--threads=")));
    } else {
      if (arg.starts_with("--benchmark_format=")) flags.format = arg.substr(std::strlen("--benchmark_format="));
      if (arg.starts_with("--benchmark_min_time=")) has_min_time = true;
      if (arg == "--benchmark_list_tests" || arg == "--benchmark_list_tests=true") flags.list_only = true;
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  // Google Benchmark's default (0.5 s per benchmark) makes a full run take
  // many minutes; 0.1 s is still hundreds of GEMV calls.
  if (!has_min_time) extra_args.push_back("--benchmark_min_time=0.1");
  return flags;
}

// Other processes share the cores and the memory bus with the benchmark: say
// so when the load average shows them (it is also in the JSON context).
void WarnIfBusy() {
  double load = 0;
  const unsigned cpus = std::thread::hardware_concurrency();
  if (getloadavg(&load, 1) == 1 && cpus > 0 && load > cpus) {
    std::fprintf(stderr, "warning: load average %.1f on %u CPUs: other processes will distort the results\n", load,
                 cpus);
  }
}

int Main(int argc, char** argv) {
  std::vector<std::string> extra_args;
  const Flags flags = ParseFlags(argc, argv, extra_args);
  std::vector<char*> args(argv, argv + argc);
  for (std::string& arg : extra_args) args.push_back(arg.data());
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;

  if (!flags.list_only) {
    WarnIfBusy();
    std::fprintf(stderr, "probing read bandwidth and int8 peak...\n");
    const MachineLimits limits = ProbeMachine(flags.plan.thread_counts, ProbeOptions{});
    SetMachineLimits(limits);
    for (const auto& [key, value] : Describe(limits)) benchmark::AddCustomContext(key, value);
  }
  benchmark::AddCustomContext("kernels", kernels::DescribeIsa());
  benchmark::AddCustomContext("ternary_weights", flags.plan.ternary_rotation_bytes > 0
                                                     ? "rotated copies: read from memory"
                                                     : "one copy, hot in cache (--hot_weights)");

  RegisterVectorKernelBenchmarks();
  RegisterTernaryMatmulBenchmarks(flags.plan);
  RegisterHeadMatmulBenchmarks(flags.plan);

  SummaryReporter reporter(flags.format);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace bitbrain::bench

int main(int argc, char** argv) {
  try {
    return bitbrain::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kernels benchmark: %s\n", e.what());
    return 1;
  }
}
