// Benchmarks of the per-token kernels: activation quantization and the float
// kernels, one thread, on 2B4T sizes (hidden 2560, FFN 6912, head_dim 128,
// K/V width 640, attention over 512 positions, 4 query heads per KV head).
// Their inputs are small and
// stay in cache, as in the engine, so only rates are reported, no fraction of
// a memory limit.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/case_label.h"
#include "bench/counters.h"
#include "bench/kernel_benchmarks.h"
#include "bench/synthetic_data.h"

namespace bitbrain::bench {
namespace {

using kernels::Isa;
using kernels::Kernels;

constexpr int kHidden = 2560;
constexpr int kFfn = 6912;
constexpr int kHeadDim = 128;
constexpr int kPositions = 512;
constexpr int kKvWidth = 640;  // 5 key-value heads x head_dim
constexpr int kGroupHeads = 4;  // query heads per key-value head

// Inputs and outputs for every case, large enough for the largest. Kernels
// that work in place get their own buffer, so that no value drifts towards
// infinity or a denormal over millions of calls.
struct Workspace {
  std::vector<float> x = RandomFloats(kFfn, 4.0f, /*seed=*/11);
  std::vector<float> y = RandomFloats(kFfn, 4.0f, /*seed=*/12);
  std::vector<float> weight = RandomFloats(kFfn, 1.0f, /*seed=*/13);
  std::vector<float> out = std::vector<float>(kFfn);
  std::vector<int8_t> q = std::vector<int8_t>(kFfn);
  std::vector<uint16_t> f16_out = std::vector<uint16_t>(kFfn);
  std::vector<float> sum = std::vector<float>(kHidden);  // add accumulates here
  std::vector<float> rotated = RandomFloats(kHeadDim, 1.0f, /*seed=*/14);  // rope rotates this
  std::vector<float> rope_cos, rope_sin;  // of random angles: rotations keep the norm
  std::vector<float> query = RandomF16ValuedFloats(kHeadDim, /*seed=*/15);
  std::vector<uint16_t> keys = F16s(kPositions * kHeadDim, /*seed=*/16);
  std::vector<uint16_t> values = F16s(kPositions * kHeadDim, /*seed=*/17);
  std::vector<float> probabilities =  // one head's, then the others' of its group
      RandomFloats(kGroupHeads * kPositions, 1.0f / kPositions, /*seed=*/18);

  Workspace() {
    for (float angle : RandomFloats(kHeadDim / 2, 3.14159f, /*seed=*/19)) {
      rope_cos.push_back(std::cos(angle));
      rope_sin.push_back(std::sin(angle));
    }
  }

  static std::vector<uint16_t> F16s(size_t n, uint64_t seed) {
    std::vector<uint16_t> v(n);
    FillF16(v.data(), n, seed);
    return v;
  }
};

Workspace& SharedWorkspace() {
  static Workspace workspace;
  return workspace;
}

// Registers `kernel` on `shape` for every variant with its own code: entry
// picks the family's function from a table, call(fn, workspace) runs it once.
template <typename Fn, typename Call>
void RegisterCase(const char* kernel, const std::string& shape, const CallCost& cost, Fn (*entry)(const Kernels&),
                  Call call) {
  for (Isa isa : VariantsWithOwnCode(entry)) {
    const Fn fn = entry(kernels::KernelsFor(isa));
    const std::string name = CaseName({.kernel = kernel, .variant = kernels::IsaName(isa), .shape = shape});
    benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
      Workspace& w = SharedWorkspace();
      for (auto _ : state) {
        call(fn, w);
        benchmark::ClobberMemory();
      }
      SetCounters(state, cost, /*threads=*/1);
    })->UseRealTime();
  }
}

constexpr double kF32 = sizeof(float);
constexpr double kF16 = sizeof(uint16_t);

}  // namespace

void RegisterVectorKernelBenchmarks() {
  using namespace kernels;  // the families' function types
  const std::string attention_shape = std::to_string(kPositions) + "x" + std::to_string(kHeadDim);
  const double kv_bytes = kPositions * kHeadDim * kF16;

  for (int n : {kHidden, kFfn}) {
    RegisterCase("quantize_activations", std::to_string(n), {.bytes = n * kF32},
                 +[](const Kernels& k) { return k.quantize_activations; },
                 [n](QuantizeActivationsFn f, Workspace& w) {
                   float scale;
                   int32_t q_sum;
                   f(w.x.data(), n, w.q.data(), &scale, &q_sum);
                   benchmark::DoNotOptimize(scale);
                   benchmark::DoNotOptimize(q_sum);
                 });
  }
  for (int n : {kHidden, kFfn}) {
    RegisterCase("rmsnorm", std::to_string(n), {.bytes = 2 * n * kF32}, +[](const Kernels& k) { return k.rmsnorm; },
                 [n](RmsNormFn f, Workspace& w) { f(w.x.data(), w.weight.data(), n, 1e-5f, w.out.data()); });
  }
  RegisterCase("rope", std::to_string(kHeadDim), {.bytes = 2 * kHeadDim * kF32},
               +[](const Kernels& k) { return k.rope; },
               [](RopeFn f, Workspace& w) { f(w.rotated.data(), w.rope_cos.data(), w.rope_sin.data(), kHeadDim); });
  RegisterCase("attention_scores", attention_shape,
               {.bytes = kv_bytes + kHeadDim * kF32, .macs = double{kPositions} * kHeadDim},
               +[](const Kernels& k) { return k.attention_scores; },
               [](AttentionScoresFn f, Workspace& w) {
                 f(w.query.data(), w.keys.data(), kHeadDim, kPositions, kHeadDim, 0.088388f, w.out.data());
               });
  RegisterCase("max", std::to_string(kPositions), {.bytes = kPositions * kF32}, +[](const Kernels& k) { return k.max; },
               [](MaxFn f, Workspace& w) { benchmark::DoNotOptimize(f(w.x.data(), kPositions)); });
  RegisterCase("exp_sum", std::to_string(kPositions), {.bytes = kPositions * kF32},
               +[](const Kernels& k) { return k.exp_sum; },
               [](ExpSumFn f, Workspace& w) { benchmark::DoNotOptimize(f(w.x.data(), kPositions, 4.0f, w.out.data())); });
  RegisterCase("scale_round_f16", std::to_string(kPositions), {.bytes = kPositions * kF32},
               +[](const Kernels& k) { return k.scale_round_f16; },
               [](ScaleRoundF16Fn f, Workspace& w) { f(w.probabilities.data(), kPositions, 0.5f, w.out.data()); });
  // As the engine calls it: every query head of a group over their values.
  RegisterCase("weighted_values", std::to_string(kGroupHeads) + "x" + attention_shape,
               {.bytes = kv_bytes + kGroupHeads * kPositions * kF32,
                .macs = double{kGroupHeads} * kPositions * kHeadDim},
               +[](const Kernels& k) { return k.weighted_values; },
               [](WeightedValuesFn f, Workspace& w) {
                 f(w.probabilities.data(), kPositions, kGroupHeads, w.values.data(), kHeadDim, kPositions,
                   kHeadDim, w.out.data(), kHeadDim);
               });
  RegisterCase("squared_relu_mul", std::to_string(kFfn), {.bytes = 2 * kFfn * kF32},
               +[](const Kernels& k) { return k.squared_relu_mul; },
               [](SquaredReluMulFn f, Workspace& w) { f(w.x.data(), w.y.data(), kFfn, w.out.data()); });
  RegisterCase("round_f16", std::to_string(kHidden), {.bytes = kHidden * kF32},
               +[](const Kernels& k) { return k.round_f16; },
               [](RoundF16Fn f, Workspace& w) { f(w.x.data(), kHidden, w.out.data()); });
  RegisterCase("to_f16", std::to_string(kKvWidth), {.bytes = kKvWidth * kF32}, +[](const Kernels& k) { return k.to_f16; },
               [](ToF16Fn f, Workspace& w) { f(w.x.data(), kKvWidth, w.f16_out.data()); });
  RegisterCase("add", std::to_string(kHidden), {.bytes = 2 * kHidden * kF32}, +[](const Kernels& k) { return k.add; },
               [](AddFn f, Workspace& w) { f(w.sum.data(), w.y.data(), kHidden); });
}

}  // namespace bitbrain::bench
