#include "bench/engine_configs.h"

#include <algorithm>
#include <stdexcept>

#include "kernels/isa.h"

namespace bitbrain::bench {

std::vector<EngineConfig> EngineConfigs(const kernels::Tuning& tuning) {
  using runtime::EngineOptions;
  std::vector<EngineConfig> configs;
  for (const kernels::Isa isa : kernels::SupportedIsas()) {
    if (isa == kernels::Isa::kScalar) continue;
    configs.push_back({kernels::IsaName(isa), [isa](EngineOptions& o) { o.isa = isa; }});
  }
  // Issue 8's optimizations, each off, and both: the official format's path
  // (2-bit weights, the full F16 head), the yardstick of the fewer-bytes ones.
  const kernels::Isa best = kernels::ActiveIsa();
  const std::string best_name = kernels::IsaName(best);
  configs.push_back({best_name + "-2bit", [best](EngineOptions& o) {
                       o.isa = best;
                       o.compact_weights = false;
                     }});
  configs.push_back({best_name + "-full-head", [best](EngineOptions& o) {
                       o.isa = best;
                       o.screened_head = false;
                     }});
  configs.push_back({best_name + "-official", [best](EngineOptions& o) {
                       o.isa = best;
                       o.compact_weights = false;
                       o.screened_head = false;
                     }});
  if (!tuning.cpu.empty()) {
    configs.push_back({.name = best_name + "-tuned",
                       .tweak =
                           [best, tuning](EngineOptions& o) {
                             o.isa = best;
                             o = runtime::WithTuning(o, tuning);
                           },
                       .every_thread_count = false});
  }
  return configs;
}

std::vector<EngineConfig> SelectConfigs(const std::vector<EngineConfig>& all,
                                        const std::vector<std::string>& names) {
  std::vector<EngineConfig> selected;
  for (const EngineConfig& config : all) {
    if (names.empty() || std::find(names.begin(), names.end(), config.name) != names.end()) {
      selected.push_back(config);
    }
  }
  for (const std::string& name : names) {
    if (std::none_of(all.begin(), all.end(), [&](const EngineConfig& c) { return c.name == name; })) {
      std::string known;
      for (const EngineConfig& c : all) known += (known.empty() ? "" : ", ") + c.name;
      throw std::invalid_argument("unknown configuration '" + name + "' (this machine has: " + known + ")");
    }
  }
  return selected;
}

}  // namespace bitbrain::bench
