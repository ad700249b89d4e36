// bazel run //bench:e2e [-- flags]: end-to-end speed of the engine on a model
// (the default 2B4T-shaped one unless --model), llama-bench style, for each
// engine configuration (engine_configs.h) x thread count x workload
// (e2e_workloads.h), plus the time to ready of a fresh process, against the
// read bandwidth and int8 peak probed in the same run. Google Benchmark
// output (console or --benchmark_format=json / --benchmark_out=FILE), then a
// table of medians. See README.md.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/count_list.h"
#include "bench/e2e_workloads.h"
#include "bench/engine_configs.h"
#include "bench/probes.h"
#include "engine/runtime/memory.h"
#include "engine/synthetic/default_model.h"
#include "kernels/isa.h"
#include "kernels/tuning.h"

namespace bitbrain::bench {
namespace {

struct Flags {
  std::string model;                 // empty: the default model
  std::vector<int> threads;          // empty: 1 .. cores
  std::vector<Workload> workloads = StandardWorkloads();
  std::vector<std::string> configs;  // empty: all
  int repetitions = 5;
  bool repetitions_given = false;  // --benchmark_repetitions: then that
  bool time_to_ready = true;
  size_t probe_buffer_bytes = size_t{1} << 30;
  std::string ready_child;  // internal: be the child that measures time to ready
  std::string format = "console";
};

// Takes this binary's flags out of argv, leaving Google Benchmark's.
Flags ParseFlags(int& argc, char** argv) {
  Flags flags;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string_view name) { return std::string(arg.substr(name.size())); };
    if (arg == "--quick") {
      flags.repetitions = 3;
      flags.workloads = ParseWorkloads("pp128,tg128,b4-tg32");
    } else if (arg.starts_with("--model=")) {
      flags.model = value("--model=");
    } else if (arg.starts_with("--threads=")) {
      flags.threads = ParseCounts("--threads", value("--threads="));
    } else if (arg.starts_with("--workloads=")) {
      flags.workloads = ParseWorkloads(value("--workloads="));
    } else if (arg.starts_with("--configs=")) {
      flags.configs = SplitNames(value("--configs="));
    } else if (arg == "--no_time_to_ready") {
      flags.time_to_ready = false;
    } else if (arg.starts_with("--probe_buffer_mib=")) {
      flags.probe_buffer_bytes = size_t(ParseCounts("--probe_buffer_mib", value("--probe_buffer_mib=")).at(0)) << 20;
    } else if (arg.starts_with("--ready_child=")) {
      flags.ready_child = value("--ready_child=");
    } else {
      if (arg.starts_with("--benchmark_format=")) flags.format = value("--benchmark_format=");
      if (arg.starts_with("--benchmark_repetitions=")) flags.repetitions_given = true;
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return flags;
}

runtime::EngineOptions OptionsFor(const EngineConfig& config, int threads, int context) {
  runtime::EngineOptions options = {.threads = threads, .context_length = context};
  config.tweak(options);
  return options;
}

// Each repetition is a process loading the model: a few seconds.
constexpr int kReadyRepetitions = 3;

// The child process of a time-to-ready measurement: loads the model, computes
// the logits of one token, then reports on stdout and exits.
int ReadyChild(const Flags& flags, const std::vector<EngineConfig>& configs) {
  const std::vector<EngineConfig> config = SelectConfigs(configs, {flags.ready_child});
  runtime::Engine engine(flags.model, OptionsFor(config.at(0), flags.threads.at(0), 16));
  runtime::Sequence sequence = engine.NewSequence();
  std::vector<float> logits(engine.config().vocab_size);
  const int32_t token = 1;
  engine.Forward(sequence, {&token, 1}, logits);
  std::printf("ready rss_bytes %zu\n", runtime::ResidentBytes());
  std::fflush(stdout);
  return 0;
}

// Seconds from starting a fresh process to its first logits, and its
// resident memory then. The process is this binary (via /bin/sh, which adds
// about a millisecond); the model file is in the page cache after the first
// run, as it is for a user who starts the engine again.
std::pair<double, double> MeasureReady(const Flags& flags, const EngineConfig& config, int threads) {
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0) throw std::runtime_error("cannot find /proc/self/exe");
  self[length] = '\0';
  const std::string command = "exec '" + std::string(self) + "' --model='" + flags.model +
                              "' --threads=" + std::to_string(threads) + " --ready_child='" + config.name + "'";
  const auto start = std::chrono::steady_clock::now();
  FILE* child = popen(command.c_str(), "r");
  if (child == nullptr) throw std::runtime_error("cannot start " + command);
  size_t rss = 0;
  const int read = std::fscanf(child, "ready rss_bytes %zu", &rss);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int status = pclose(child);
  if (read != 1 || status != 0) throw std::runtime_error("the time-to-ready child failed: " + command);
  return {seconds, rss / double(1 << 20)};
}

// One engine at a time, kept while consecutive benchmarks use the same
// configuration and thread count.
struct EngineCache {
  std::string key;
  std::unique_ptr<runtime::Engine> engine;
  ModelTraffic traffic;
};

// The medians of every benchmark, for the closing table.
struct Row {
  std::string name;
  std::vector<double> seconds;
  double tokens = 0;
  double roofline_tokens_per_second = 0;  // decoding
  double macs = 0, peak_macs_per_second = 0;  // prefill
  double rss_mib = 0;
};

// One line on stderr per repetition: the run takes minutes.
void ReportProgress(const Row& row) {
  std::fprintf(stderr, "e2e: %s repetition %zu: %.1f ms\n", row.name.c_str(), row.seconds.size(),
               row.seconds.back() * 1e3);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
}

void PrintTable(const std::vector<Row>& rows, FILE* out) {
  std::fprintf(out, "\n%-34s %10s %14s %9s %9s %8s\n", "benchmark", "median ms", "spread", "tok/s", "of limit",
               "RSS MiB");
  for (const Row& row : rows) {
    if (row.seconds.empty()) continue;
    const double median = Median(row.seconds);
    const auto [lo, hi] = std::minmax_element(row.seconds.begin(), row.seconds.end());
    char spread[32];
    std::snprintf(spread, sizeof spread, "%.0f..%.0f", *lo * 1e3, *hi * 1e3);
    char limit[32] = "";
    if (row.roofline_tokens_per_second > 0) {
      std::snprintf(limit, sizeof limit, "%.0f%% bw", 100 * row.tokens / median / row.roofline_tokens_per_second);
    } else if (row.peak_macs_per_second > 0) {
      std::snprintf(limit, sizeof limit, "%.0f%% pk", 100 * row.macs / median / row.peak_macs_per_second);
    }
    std::fprintf(out, "%-34s %10.1f %14s %9.2f %9s %8.0f\n", row.name.c_str(), median * 1e3, spread,
                 row.tokens > 0 ? row.tokens / median : 0.0, limit, row.rss_mib);
  }
  std::fprintf(out, "(of limit: decode tok/s against bandwidth / bytes per token (bw), prefill GMAC/s against the int8 peak (pk))\n");
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  if (flags.model.empty()) flags.model = synthetic::EnsureDefaultModel();
  if (flags.threads.empty()) {
    for (int t = 1; t <= static_cast<int>(std::thread::hardware_concurrency()); ++t) flags.threads.push_back(t);
  }
  std::string note;
  const kernels::Tuning tuning = kernels::LoadTuning(kernels::DefaultTuningPath(), kernels::CpuModelName(), &note);
  const std::vector<EngineConfig> configs = SelectConfigs(EngineConfigs(tuning), flags.configs);
  if (!flags.ready_child.empty()) return ReadyChild(flags, EngineConfigs(tuning));
  if (!note.empty() && flags.configs.empty()) std::fprintf(stderr, "e2e: %s (no tuned configuration)\n", note.c_str());

  // Repetitions as Google Benchmark's flag rather than per benchmark, which
  // would put "repeats:N" into the names that runs are compared by.
  std::vector<char*> args(argv, argv + argc);
  std::string repetitions = "--benchmark_repetitions=" + std::to_string(flags.repetitions);
  if (!flags.repetitions_given) args.push_back(repetitions.data());
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;

  std::fprintf(stderr, "e2e: probing read bandwidth and int8 peak...\n");
  const MachineLimits limits =
      ProbeMachine(flags.threads, {.bandwidth_buffer_bytes = flags.probe_buffer_bytes});
  for (const auto& [key, value] : Describe(limits)) benchmark::AddCustomContext(key, value);
  benchmark::AddCustomContext("model", flags.model);
  benchmark::AddCustomContext("cpu", kernels::CpuModelName());
  benchmark::AddCustomContext("tuning", tuning.cpu.empty() ? note : kernels::DefaultTuningPath());

  int context = 1;
  for (const Workload& w : flags.workloads) context = std::max(context, w.positions());

  EngineCache cache;
  std::vector<Row> rows;
  rows.reserve(configs.size() * flags.threads.size() * (flags.workloads.size() + 1));
  for (const EngineConfig& engine_config : configs) {
    const EngineConfig* config = &engine_config;
    for (const int threads : flags.threads) {
      if (!config->every_thread_count && threads != flags.threads.back()) continue;
      const std::string prefix = "e2e/" + config->name + "/";
      const std::string suffix = "/threads:" + std::to_string(threads);
      if (flags.time_to_ready) {
        Row* row = &rows.emplace_back();
        row->name = prefix + "ready" + suffix;
        benchmark::RegisterBenchmark(row->name.c_str(), [&flags, config, threads, row](benchmark::State& state) {
          for (auto _ : state) {
            const auto [seconds, rss_mib] = MeasureReady(flags, *config, threads);
            state.SetIterationTime(seconds);
            row->seconds.push_back(seconds);
            ReportProgress(*row);
            row->rss_mib = rss_mib;
            state.counters["rss_MiB"] = rss_mib;
          }
        })->UseManualTime()->Iterations(1)->Repetitions(kReadyRepetitions)->Unit(benchmark::kMillisecond);
      }
      for (const Workload& workload : flags.workloads) {
        Row* row = &rows.emplace_back();
        row->name = prefix + workload.name + suffix;
        row->tokens = workload.tokens();
        benchmark::RegisterBenchmark(row->name.c_str(), [&flags, &limits, &cache, context, config, threads, workload,
                                                         row](benchmark::State& state) {
          const std::string key = config->name + "/" + std::to_string(threads);
          if (cache.key != key) {
            cache.engine.reset();
            std::fprintf(stderr, "e2e: loading %s for %s, %d threads\n", flags.model.c_str(), config->name.c_str(),
                         threads);
            cache.engine = std::make_unique<runtime::Engine>(flags.model, OptionsFor(*config, threads, context));
            cache.traffic = MeasureTraffic(flags.model, *cache.engine);
            cache.key = key;
            RunWorkload(*cache.engine, ParseWorkloads("tg2").front());  // warm up
          }
          for (auto _ : state) {
            const double seconds = RunWorkload(*cache.engine, workload);
            state.SetIterationTime(seconds);
            row->seconds.push_back(seconds);
            ReportProgress(*row);
          }
          const double seconds = row->seconds.back();
          state.counters["tokens_per_second"] = workload.tokens() / seconds;
          row->rss_mib = runtime::ResidentBytes() / double(1 << 20);
          state.counters["rss_MiB"] = row->rss_mib;
          if (workload.is_prefill()) {
            row->macs = cache.traffic.PrefillMacs(workload);
            row->peak_macs_per_second = limits.int8_peak.at(threads).median;
            state.counters["GMAC_per_second"] = row->macs / seconds / 1e9;
            state.counters["of_int8_peak"] = row->macs / seconds / row->peak_macs_per_second;
          } else {
            const double bytes = cache.traffic.DecodeBytesPerToken(workload);
            row->roofline_tokens_per_second = limits.read_bandwidth.at(threads).median / bytes;
            state.counters["bytes_per_token"] = bytes;
            state.counters["roofline_tokens_per_second"] = row->roofline_tokens_per_second;
            state.counters["of_roofline"] = workload.tokens() / seconds / row->roofline_tokens_per_second;
          }
        })->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
      }
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  cache.engine.reset();
  PrintTable(rows, flags.format == "json" ? stderr : stdout);
  return 0;
}

}  // namespace
}  // namespace bitbrain::bench

int main(int argc, char** argv) {
  try {
    return bitbrain::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "e2e benchmark: %s\n", e.what());
    return 1;
  }
}
