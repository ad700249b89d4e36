// The inner loops of the machine probes (probes.h), one translation unit per
// instruction set, each compiled with that set enabled. Call a loop only on a
// CPU that has its instructions.
#ifndef BITBRAIN_BENCH_PROBE_LOOPS_H_
#define BITBRAIN_BENCH_PROBE_LOOPS_H_

#include <cstddef>
#include <cstdint>

namespace bitbrain::bench {

// Bytes one iteration of the read loops consumes; `bytes` must be a multiple.
inline constexpr size_t kReadLoopStepBytes = 256;

// Adds up [data, data + bytes) as 64-bit lanes with 256-bit (AVX2) or
// 512-bit (AVX-512) loads; returning the sum keeps every load alive.
uint64_t ReadSumAvx2(const uint8_t* data, size_t bytes);
uint64_t ReadSumAvx512(const uint8_t* data, size_t bytes);

// Independent int8 multiply-add instructions per iteration of the peak loops:
// enough to cover latency x throughput of every pipe that executes them.
inline constexpr int kMaddubsPerIteration = 12;  // AVX2 has 16 ymm registers
inline constexpr int kDpbusdPerIteration = 16;

// `iterations` x kMaddubsPerIteration vpmaddubsw ymm, no dependency between
// them; returns a value computed from the results.
int64_t MaddubsLoopAvx2(int64_t iterations);

// `iterations` x kDpbusdPerIteration vpdpbusd zmm into as many independent
// accumulators; returns their sum.
int64_t DpbusdLoopAvx512(int64_t iterations);

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_PROBE_LOOPS_H_
