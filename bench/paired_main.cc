// bazel run //bench:paired [-- flags]: decoding speed of engine configurations
// (engine_configs.h) compared in pairs, for machines too noisy for separate
// runs. All the configurations are loaded at once and take turns: each round,
// every one of them decodes `segment` greedy steps (the order rotating from
// round to round), each sequence from an empty context up to `tokens`
// positions (tgN), then afresh. What drifts on a shared machine (other
// tenants, memory traffic, clock) drifts alike for the configurations of one
// round, so the median of the rounds' speed ratios is far steadier than the
// ratio of two separate runs' medians. See README.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/count_list.h"
#include "bench/e2e_workloads.h"
#include "bench/engine_configs.h"
#include "engine/runtime/engine.h"
#include "engine/synthetic/default_model.h"
#include "kernels/tuning.h"

namespace bitbrain::bench {
namespace {

struct Flags {
  std::string model;                 // empty: the default model
  std::vector<std::string> configs;  // empty: all that run at every thread count
  std::string baseline;              // empty: the official path
  int threads = 0;                   // 0: every core
  int rounds = 24;
  int segment = 16;
  int tokens = 128;
  std::string json;  // also write the table there, as JSON
};

constexpr const char kUsage[] =
    "usage: paired [--model=FILE] [--configs=A,B,...] [--baseline=NAME] [--threads=N]\n"
    "              [--rounds=N] [--segment=STEPS] [--tokens=N] [--json=FILE]\n";

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string_view name) { return std::string(arg.substr(name.size())); };
    const auto count = [&](std::string_view name) {  // the flag names itself without '='
      return ParseCounts(name.substr(0, name.size() - 1), value(name)).at(0);
    };
    if (arg.starts_with("--model=")) {
      flags.model = value("--model=");
    } else if (arg.starts_with("--configs=")) {
      flags.configs = SplitNames(value("--configs="));
    } else if (arg.starts_with("--baseline=")) {
      flags.baseline = value("--baseline=");
    } else if (arg.starts_with("--threads=")) {
      flags.threads = count("--threads=");
    } else if (arg.starts_with("--rounds=")) {
      flags.rounds = count("--rounds=");
    } else if (arg.starts_with("--segment=")) {
      flags.segment = count("--segment=");
    } else if (arg.starts_with("--tokens=")) {
      flags.tokens = count("--tokens=");
    } else if (arg.starts_with("--json=")) {
      flags.json = value("--json=");
    } else {
      throw std::invalid_argument("unknown flag '" + std::string(arg) + "'\n" + kUsage);
    }
  }
  if (flags.segment > flags.tokens) {
    throw std::invalid_argument("--segment must not exceed --tokens");
  }
  return flags;
}

// One configuration's engine, its sequence and its times per token by round.
struct Contender {
  EngineConfig config;
  std::unique_ptr<runtime::Engine> engine;
  runtime::Sequence sequence;
  int32_t next = 0;
  std::vector<double> seconds_per_token;
};

// Decodes one segment and returns its seconds per token. A sequence that
// would pass `tokens` positions starts afresh first (untimed), from the one
// context token a tgN step follows.
double RunSegment(Contender& c, const Flags& flags) {
  if (c.sequence.position() + flags.segment > flags.tokens + 1) {
    c.sequence = c.engine->NewSequence();
    c.next = PrefillGreedy(*c.engine, c.sequence, 1, 0);
  }
  const auto start = std::chrono::steady_clock::now();
  DecodeGreedy(*c.engine, {&c.sequence, 1}, {&c.next, 1}, flags.segment);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
         flags.segment;
}

// The median and quartiles of v.
struct Spread {
  double q1, median, q3;
};
Spread SpreadOf(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const auto at = [&](double f) {  // linear interpolation between ranks
    const double rank = f * (v.size() - 1);
    const size_t low = static_cast<size_t>(rank);
    const size_t high = std::min(low + 1, v.size() - 1);
    return v[low] + (rank - low) * (v[high] - v[low]);
  };
  return {at(0.25), at(0.5), at(0.75)};
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  if (flags.model.empty()) flags.model = synthetic::EnsureDefaultModel();
  if (flags.threads == 0) flags.threads = static_cast<int>(std::thread::hardware_concurrency());
  std::string note;
  const kernels::Tuning tuning =
      kernels::LoadTuning(kernels::DefaultTuningPath(), kernels::CpuModelName(), &note);
  std::vector<EngineConfig> configs;
  for (const EngineConfig& config : SelectConfigs(EngineConfigs(tuning), flags.configs)) {
    if (!flags.configs.empty() || config.every_thread_count) configs.push_back(config);
  }
  if (flags.baseline.empty()) {
    flags.baseline = configs.front().name;
    for (const EngineConfig& config : configs) {
      if (config.name.ends_with("-official")) flags.baseline = config.name;
    }
  }
  const auto is_baseline = [&](const EngineConfig& config) { return config.name == flags.baseline; };
  const size_t baseline = std::find_if(configs.begin(), configs.end(), is_baseline) - configs.begin();
  if (baseline == configs.size()) {
    throw std::invalid_argument("--baseline '" + flags.baseline + "' is not among the configurations");
  }

  std::vector<Contender> contenders;
  for (const EngineConfig& config : configs) {
    runtime::EngineOptions options = {.threads = flags.threads, .context_length = flags.tokens + 1};
    config.tweak(options);
    auto engine = std::make_unique<runtime::Engine>(flags.model, options);
    runtime::Sequence sequence = engine->NewSequence();
    contenders.push_back({.config = config, .engine = std::move(engine), .sequence = std::move(sequence)});
  }
  for (Contender& c : contenders) {
    c.next = PrefillGreedy(*c.engine, c.sequence, 1, 0);
    RunSegment(c, flags);  // untimed: the first touch of the weights' pages
  }
  std::fprintf(stderr, "paired: %zu configurations, %d threads, %d rounds of %d greedy steps each (tg%d)\n",
               contenders.size(), flags.threads, flags.rounds, flags.segment, flags.tokens);
  const size_t n = contenders.size();
  for (int round = 0; round < flags.rounds; ++round) {
    for (size_t i = 0; i < n; ++i) {
      Contender& c = contenders[(i + round) % n];
      c.seconds_per_token.push_back(RunSegment(c, flags));
    }
  }

  std::printf("model %s, %d threads, %d rounds of %d steps (tg%d)\n", flags.model.c_str(),
              flags.threads, flags.rounds, flags.segment, flags.tokens);
  std::printf("%-20s %28s %9s   %s\n", "configuration", "ms/token: median (q1..q3)", "tok/s",
              ("speed against " + flags.baseline + ", per round: median (q1..q3)").c_str());
  nlohmann::json table = {{"model", flags.model},   {"threads", flags.threads},
                          {"rounds", flags.rounds}, {"segment", flags.segment},
                          {"tokens", flags.tokens}, {"baseline", flags.baseline},
                          {"configurations", nlohmann::json::array()}};
  const auto spread_json = [](const Spread& s) {
    return nlohmann::json{{"q1", s.q1}, {"median", s.median}, {"q3", s.q3}};
  };
  for (const Contender& c : contenders) {
    const Spread ms = SpreadOf(c.seconds_per_token);
    std::vector<double> ratios;
    for (int round = 0; round < flags.rounds; ++round) {
      ratios.push_back(contenders[baseline].seconds_per_token[round] / c.seconds_per_token[round]);
    }
    const Spread ratio = SpreadOf(ratios);
    char times[64];
    std::snprintf(times, sizeof times, "%.3f (%.3f..%.3f)", ms.median * 1e3, ms.q1 * 1e3, ms.q3 * 1e3);
    std::printf("%-20s %28s %9.2f   %.3fx (%.3f..%.3f)\n", c.config.name.c_str(), times,
                1 / ms.median, ratio.median, ratio.q1, ratio.q3);
    table["configurations"].push_back({{"name", c.config.name},
                                       {"seconds_per_token", spread_json(ms)},
                                       {"speed_ratio", spread_json(ratio)}});
  }
  if (!flags.json.empty()) {
    std::ofstream out(flags.json);
    out << table.dump(1) << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + flags.json);
  }
  return 0;
}

}  // namespace
}  // namespace bitbrain::bench

int main(int argc, char** argv) {
  try {
    return bitbrain::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "paired: %s\n", e.what());
    return 1;
  }
}
