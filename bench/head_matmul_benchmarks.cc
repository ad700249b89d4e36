// LM head benchmarks: the f16 embedding matrix (2560 x 128256, 657 MB) is
// larger than any cache by itself, so one copy streams from memory on every
// call; rows split by the shared thread pool. head_screen is the screened
// head's pass over the coarse plane of its int8 copy (246 MB), with the int8
// vectors the engine screens: two for a single token, one per token of a
// batch; head_screen_refine reads the fine plane of every 16th row, scattered
// reads of 640 bytes (on the 2B4T-shaped model a greedy step refines ~2,300
// rows, a top-k 40 step ~12,800).
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/counters.h"
#include "bench/kernel_benchmarks.h"
#include "bench/rotating_copies.h"
#include "bench/synthetic_data.h"
#include "engine/runtime/screened_head.h"
#include "kernels/thread_pool.h"

namespace bitbrain::bench {
namespace {

using kernels::Isa;
using kernels::Kernels;

// The head's rows carry no blocking constraint: any split is valid.
constexpr int kHeadRowTile = 1;

// Random embeddings, made once and shared by every head benchmark.
RotatingCopies& Embeddings() {
  static const std::unique_ptr<RotatingCopies> copies = std::make_unique<RotatingCopies>(
      static_cast<size_t>(kHeadShape.rows) * kHeadShape.cols * sizeof(uint16_t), kDefaultRotationBytes,
      [](uint8_t* first) {
        FillF16(reinterpret_cast<uint16_t*>(first), static_cast<size_t>(kHeadShape.rows) * kHeadShape.cols,
                /*seed=*/3);
      });
  return *copies;
}

void BenchmarkHeadMatmul(benchmark::State& state, Isa isa, int tokens, int threads, const MatmulPlan& plan) {
  const kernels::HeadMatmulFn head = kernels::KernelsFor(isa).head_matmul;
  const MatmulShape shape = kHeadShape;
  RotatingCopies* embeddings = nullptr;
  try {
    embeddings = &Embeddings();
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const std::vector<float> hn = RandomF16ValuedFloats(static_cast<size_t>(tokens) * shape.cols, /*seed=*/5);
  std::vector<float> logits(static_cast<size_t>(tokens) * shape.rows);
  const auto call_rows = [&](const uint8_t* embedding_bytes, int begin, int end) {
    head(reinterpret_cast<const uint16_t*>(embedding_bytes), shape.cols, hn.data(), shape.cols, tokens, begin, end,
         logits.data(), shape.rows);
  };

  if (!TimeRowSplitKernel(state, *embeddings, shape.rows, kHeadRowTile, threads, plan, call_rows)) return;
  benchmark::DoNotOptimize(logits.data());
  SetCounters(state,
              {.bytes = static_cast<double>(embeddings->bytes_per_copy()),
               .macs = static_cast<double>(shape.rows) * shape.cols * tokens,
               .reads_memory = true,
               .int8_macs = false},
              threads);
}

// Random planes of the screening copy (any bytes are valid), made once each.
enum class ScreeningPlaneKind { kCoarse, kFine };

RotatingCopies& ScreeningPlane(ScreeningPlaneKind kind) {
  const auto make = [](size_t bytes) {
    return std::make_unique<RotatingCopies>(bytes, kDefaultRotationBytes, [bytes](uint8_t* first) {
      FillI2sCodes(first, bytes, /*seed=*/7);
    });
  };
  if (kind == ScreeningPlaneKind::kCoarse) {
    static const std::unique_ptr<RotatingCopies> coarse =
        make(kernels::HeadScreenCoarseBytes(kHeadShape.rows, kHeadShape.cols));
    return *coarse;
  }
  static const std::unique_ptr<RotatingCopies> fine =
      make(kernels::HeadScreenFineBytes(kHeadShape.rows, kHeadShape.cols));
  return *fine;
}

// The int8 vectors the engine screens for `tokens` inputs (screened_head.h).
std::vector<int8_t> ScreeningVectors(int tokens) {
  const int vectors = tokens == 1 ? runtime::ScreenedHead::kMaxVectorsPerInput : tokens;
  std::vector<int8_t> q(static_cast<size_t>(vectors) * kHeadShape.cols);
  for (size_t i = 0; i < q.size(); ++i) {
    q[i] = static_cast<int8_t>(static_cast<int>(i * 37 % 255) - 127);
  }
  return q;
}

void BenchmarkHeadScreen(benchmark::State& state, Isa isa, int tokens, int threads,
                         const MatmulPlan& plan) {
  const kernels::HeadScreenFn screen = kernels::KernelsFor(isa).head_screen.screen;
  const MatmulShape shape = kHeadShape;  // cols is a multiple of kHeadScreenBlock
  RotatingCopies* plane = nullptr;
  try {
    plane = &ScreeningPlane(ScreeningPlaneKind::kCoarse);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const std::vector<int8_t> q = ScreeningVectors(tokens);
  const int vectors = static_cast<int>(q.size() / shape.cols);
  std::vector<int32_t> acc(static_cast<size_t>(vectors) * shape.rows);
  const auto call_rows = [&](const uint8_t* coarse, int begin, int end) {
    screen(coarse, shape.cols, q.data(), vectors, begin, end, acc.data(), shape.rows);
  };
  if (!TimeRowSplitKernel(state, *plane, shape.rows, kHeadRowTile, threads, plan, call_rows)) {
    return;
  }
  benchmark::DoNotOptimize(acc.data());
  SetCounters(state,
              {.bytes = static_cast<double>(plane->bytes_per_copy()),
               .macs = static_cast<double>(shape.rows) * shape.cols * vectors,
               .reads_memory = true,
               .int8_macs = true},
              threads);
}

void BenchmarkHeadScreenRefine(benchmark::State& state, Isa isa, int tokens, int threads,
                               const MatmulPlan& plan) {
  const kernels::HeadScreenFineFn refine = kernels::KernelsFor(isa).head_screen.refine;
  const MatmulShape shape = kHeadShape;
  RotatingCopies* plane = nullptr;
  try {
    plane = &ScreeningPlane(ScreeningPlaneKind::kFine);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  constexpr int kEvery = 16;
  std::vector<int32_t> ids;
  for (int v = 0; v < shape.rows; v += kEvery) ids.push_back(v);
  const int count = static_cast<int>(ids.size());
  const std::vector<int8_t> q = ScreeningVectors(tokens);
  const int vectors = static_cast<int>(q.size() / shape.cols);
  std::vector<int32_t> acc(static_cast<size_t>(vectors) * count);
  const auto call_rows = [&](const uint8_t* fine, int begin, int end) {
    refine(fine, shape.cols, q.data(), vectors, ids.data() + begin, end - begin, acc.data() + begin,
           count);
  };
  if (!TimeRowSplitKernel(state, *plane, count, kHeadRowTile, threads, plan, call_rows)) return;
  benchmark::DoNotOptimize(acc.data());
  SetCounters(state,
              {.bytes = static_cast<double>(count) * shape.cols / 4,
               .macs = static_cast<double>(count) * shape.cols * vectors,
               .reads_memory = true,
               .int8_macs = true},
              threads);
}

}  // namespace

void RegisterHeadMatmulBenchmarks(const MatmulPlan& plan) {
  for (Isa isa : VariantsWithOwnCode(+[](const Kernels& k) { return k.head_matmul; })) {
    RegisterMatmulCases("head_matmul", isa, kHeadShape, plan,
                        [=](benchmark::State& state, int tokens, int threads) {
                          BenchmarkHeadMatmul(state, isa, tokens, threads, plan);
                        });
  }
  for (Isa isa : VariantsWithOwnCode(+[](const Kernels& k) { return k.head_screen.screen; })) {
    RegisterMatmulCases("head_screen", isa, kHeadShape, plan,
                        [=](benchmark::State& state, int tokens, int threads) {
                          BenchmarkHeadScreen(state, isa, tokens, threads, plan);
                        });
  }
  for (Isa isa : VariantsWithOwnCode(+[](const Kernels& k) { return k.head_screen.refine; })) {
    RegisterMatmulCases("head_screen_refine", isa, kHeadShape, plan,
                        [=](benchmark::State& state, int tokens, int threads) {
                          BenchmarkHeadScreenRefine(state, isa, tokens, threads, plan);
                        });
  }
}

}  // namespace bitbrain::bench
