// The engine configurations the end-to-end benchmark compares in one run: a
// name and how it changes the engine's options. An optimization with an
// on/off switch in EngineOptions gets a line each way in EngineConfigs().
#ifndef BITBRAIN_BENCH_ENGINE_CONFIGS_H_
#define BITBRAIN_BENCH_ENGINE_CONFIGS_H_

#include <functional>
#include <string>
#include <vector>

#include "engine/runtime/engine.h"
#include "kernels/tuning.h"

namespace bitbrain::bench {

struct EngineConfig {
  std::string name;  // in benchmark names: no '/'
  std::function<void(runtime::EngineOptions&)> tweak;
  // false: only at the largest thread count of the run, to keep it short.
  bool every_thread_count = true;
};

// Every configuration this CPU runs: each SIMD kernel variant with the
// built-in splits; the best variant without the compact layout
// ("-2bit"), without the screened head ("-full-head") and without both
// ("-official": the bytes the official format makes every engine read);
// then the best variant with `tuning` if it is for this CPU
// (tuning.cpu not empty), at the largest thread count only. The scalar variant is left out: it is the
// correctness yardstick, hundreds of times slower.
std::vector<EngineConfig> EngineConfigs(const kernels::Tuning& tuning);

// The configurations whose names are in `names` (all if `names` is empty), in
// table order; throws std::invalid_argument naming an unknown one.
std::vector<EngineConfig> SelectConfigs(const std::vector<EngineConfig>& all,
                                        const std::vector<std::string>& names);

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_ENGINE_CONFIGS_H_
