// bazel run //bench:tune [-- --model=FILE --threads=2 --out=FILE --quick]:
// sweeps what the engine exposes for tuning (kernels/tuning.h) on this CPU and
// writes the best values to the tuning file the engine reads at start
// (kernels::DefaultTuningPath(), i.e. models/tuning.txt, unless --out).
//
// For each thread count, decoding 32 tokens decides: first between the
// ternary layouts (an engine of each; decoding is where the layout's bytes and
// instructions per weight matter, and the layouts can be within 10% of each
// other, which 8 tokens do not resolve on a noisy machine), then, with the
// chosen layout and more than one thread, between candidate task counts per
// thread for each of the engine's parallel products in turn, the others
// keeping their choice so far (the products are memory-bound when decoding,
// where the split matters most). Then the prefill chunk is swept on a
// 256-token prompt. Medians of repetitions, candidates interleaved, so that
// drift of a shared machine hits them alike; a candidate replaces the
// built-in default only when clearly faster (tune_choice.h).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/count_list.h"
#include "bench/e2e_workloads.h"
#include "bench/tune_choice.h"
#include "engine/runtime/engine.h"
#include "engine/synthetic/default_model.h"
#include "kernels/tuning.h"

namespace bitbrain::bench {
namespace {

struct Flags {
  std::string model;
  std::string out = kernels::DefaultTuningPath();
  std::vector<int> threads;
  std::vector<int> tasks_per_thread = {1, 2, 4, 8, 16};
  std::vector<int> prefill_chunks = {16, 32, 64, 128, 256};
  int repetitions = 5;
  std::string decode = "tg32", prefill = "pp256";
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string_view name) { return std::string(arg.substr(name.size())); };
    if (arg == "--quick") {
      flags.repetitions = 3;
      flags.tasks_per_thread = {1, 4, 16};
      flags.prefill_chunks = {32, 64, 128};
      flags.prefill = "pp128";
    } else if (arg.starts_with("--model=")) {
      flags.model = value("--model=");
    } else if (arg.starts_with("--out=")) {
      flags.out = value("--out=");
    } else if (arg.starts_with("--threads=")) {
      flags.threads = ParseCounts("--threads", value("--threads="));
    } else if (arg.starts_with("--repetitions=")) {
      flags.repetitions = ParseCounts("--repetitions", value("--repetitions=")).at(0);
    } else {
      throw std::invalid_argument("unknown flag " + std::string(arg) +
                                  " (--model=, --out=, --threads=, --repetitions=, --quick)");
    }
  }
  return flags;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return (v[(v.size() - 1) / 2] + v[v.size() / 2]) / 2;
}

// The median seconds of `workload` for each candidate, which `run`
// (candidate index -> seconds) measures; candidates interleaved within each
// repetition.
template <typename Run>
std::vector<double> Compare(size_t candidates, int repetitions, Run&& run) {
  std::vector<std::vector<double>> seconds(candidates);
  for (int r = 0; r < repetitions; ++r) {
    for (size_t c = 0; c < candidates; ++c) seconds[c].push_back(run(c));
  }
  std::vector<double> medians;
  for (const std::vector<double>& s : seconds) medians.push_back(Median(s));
  return medians;
}

// The same engine with each candidate tuning.
std::vector<double> CompareTunings(runtime::Engine& engine,
                                   const std::vector<kernels::Tuning>& candidates,
                                   const Workload& workload, int repetitions) {
  return Compare(candidates.size(), repetitions, [&](size_t c) {
    engine.set_tuning(candidates[c]);
    return RunWorkload(engine, workload);
  });
}

// The index of `value` in `values`, which must hold it (a default among the
// candidates).
template <typename T>
size_t IndexOf(const std::vector<T>& values, const T& value) {
  const auto found = std::find(values.begin(), values.end(), value);
  if (found == values.end()) throw std::invalid_argument("the candidates must include the default");
  return found - values.begin();
}

// Returns the index of the chosen candidate (ChooseCandidate), after printing
// them all.
size_t Choose(const std::string& what, const std::vector<std::string>& labels,
              const std::vector<double>& medians, size_t default_index) {
  const size_t chosen = ChooseCandidate(medians, default_index);
  std::fprintf(stderr, "  %-34s", what.c_str());
  for (size_t i = 0; i < labels.size(); ++i) {
    std::fprintf(stderr, " %s:%.1fms%s%s", labels[i].c_str(), medians[i] * 1e3,
                 i == default_index ? "(default)" : "", i == chosen ? "*" : "");
  }
  std::fprintf(stderr, "\n");
  return chosen;
}

std::vector<std::string> Labels(const std::vector<int>& values) {
  std::vector<std::string> labels;
  for (const int value : values) labels.push_back(std::to_string(value));
  return labels;
}

// The ternary layout chosen (Choose) by decoding `workload` on `threads`
// threads: an engine of each layout, with `tuning`.
kernels::TernaryLayout ChooseLayout(const std::string& model, int threads, const kernels::Tuning& tuning,
                                    const Workload& workload, int repetitions) {
  std::vector<std::unique_ptr<runtime::Engine>> engines;
  std::vector<std::string> labels;
  const std::vector<kernels::TernaryLayout> layouts(std::begin(kernels::kTernaryLayouts),
                                                    std::end(kernels::kTernaryLayouts));
  const kernels::TernaryLayout default_layout = runtime::EngineOptions{}.compact_weights
                                                    ? kernels::TernaryLayout::kCompact
                                                    : kernels::TernaryLayout::kTwoBit;
  for (const kernels::TernaryLayout layout : layouts) {
    engines.push_back(std::make_unique<runtime::Engine>(
        model, runtime::EngineOptions{.threads = threads,
                                      .context_length = workload.positions(),
                                      .compact_weights = layout == kernels::TernaryLayout::kCompact,
                                      .tuning = tuning}));
    RunWorkload(*engines.back(), workload);  // warm up
    labels.push_back(kernels::TernaryLayoutName(layout));
  }
  const std::vector<double> medians = Compare(engines.size(), repetitions, [&](size_t c) {
    return RunWorkload(*engines[c], workload);
  });
  return layouts[Choose("ternary layout", labels, medians, IndexOf(layouts, default_layout))];
}

std::string Describe(const kernels::SplitKey& key) {
  return std::string(key.kind == kernels::SplitKind::kTernary ? "ternary " : "head ") + std::to_string(key.rows) +
         "x" + std::to_string(key.cols);
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  if (flags.model.empty()) flags.model = synthetic::EnsureDefaultModel();
  if (flags.threads.empty()) {
    for (int t = 1; t <= static_cast<int>(std::thread::hardware_concurrency()); ++t) flags.threads.push_back(t);
  }
  const Workload decode = ParseWorkloads(flags.decode).front();
  const Workload prefill = ParseWorkloads(flags.prefill).front();
  kernels::Tuning tuning;
  tuning.cpu = kernels::CpuModelName();
  std::fprintf(stderr,
               "tune: %s on %s (median ms of %d repetitions; * = chosen: the fastest when "
               "%.0f%% faster than the default)\n",
               flags.model.c_str(), tuning.cpu.c_str(), flags.repetitions, kTuneMargin * 100);

  for (const int threads : flags.threads) {
    std::fprintf(stderr, "%d threads, %s per candidate:\n", threads, decode.name.c_str());
    tuning.layout[threads] = ChooseLayout(flags.model, threads, tuning, decode, flags.repetitions);
    if (threads == 1) continue;  // one thread has nothing to split
    runtime::Engine engine(flags.model, runtime::WithTuning({.threads = threads,
                                                             .context_length = decode.positions()},
                                                            tuning));
    RunWorkload(engine, decode);  // warm up
    for (const kernels::SplitKey& key : runtime::ParallelSplits(engine.config(), threads)) {
      std::vector<kernels::Tuning> candidates;
      for (const int tasks : flags.tasks_per_thread) {
        candidates.push_back(tuning);
        candidates.back().tasks_per_thread[key] = tasks;
      }
      const size_t chosen =
          Choose(Describe(key), Labels(flags.tasks_per_thread),
                 CompareTunings(engine, candidates, decode, flags.repetitions),
                 IndexOf(flags.tasks_per_thread, kernels::kDefaultTasksPerThread));
      tuning.tasks_per_thread[key] = flags.tasks_per_thread[chosen];
    }
  }
  {
    const int threads = flags.threads.back();
    runtime::Engine engine(flags.model, runtime::WithTuning({.threads = threads,
                                                             .context_length = prefill.positions()},
                                                            tuning));
    std::vector<kernels::Tuning> candidates;
    for (const int chunk : flags.prefill_chunks) {
      candidates.push_back(tuning);
      candidates.back().prefill_chunk = chunk;
    }
    std::fprintf(stderr, "%d threads, %s per candidate:\n", threads, prefill.name.c_str());
    const size_t chosen = Choose("prefill chunk", Labels(flags.prefill_chunks),
                                 CompareTunings(engine, candidates, prefill, flags.repetitions),
                                 IndexOf(flags.prefill_chunks, runtime::EngineOptions{}.prefill_chunk));
    tuning.prefill_chunk = flags.prefill_chunks[chosen];
  }

  std::ofstream out(flags.out);
  out << kernels::FormatTuning(tuning);
  if (!out.flush()) throw std::runtime_error("cannot write " + flags.out);
  std::fprintf(stderr, "tune: wrote %s\n", flags.out.c_str());
  return 0;
}

}  // namespace
}  // namespace bitbrain::bench

int main(int argc, char** argv) {
  try {
    return bitbrain::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tune: %s\n", e.what());
    return 1;
  }
}
