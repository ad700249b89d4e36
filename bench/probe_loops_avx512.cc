// Compiled with -mavx512f -mavx512bw -mavx512vnni.
#include <immintrin.h>

#include "bench/probe_loops.h"

namespace bitbrain::bench {
namespace {

int64_t SumLanes(__m512i v) {
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, v);
  int64_t sum = 0;
  for (int32_t lane : lanes) sum += lane;
  return sum;
}

}  // namespace

uint64_t ReadSumAvx512(const uint8_t* data, size_t bytes) {
  __m512i sum0 = _mm512_setzero_si512(), sum1 = sum0;
  for (size_t i = 0; i < bytes; i += kReadLoopStepBytes) {
    const __m512i* p = reinterpret_cast<const __m512i*>(data + i);
    sum0 = _mm512_add_epi64(sum0, _mm512_add_epi64(_mm512_load_si512(p + 0), _mm512_load_si512(p + 1)));
    sum1 = _mm512_add_epi64(sum1, _mm512_add_epi64(_mm512_load_si512(p + 2), _mm512_load_si512(p + 3)));
  }
  return static_cast<uint64_t>(SumLanes(_mm512_add_epi64(sum0, sum1)));
}

int64_t DpbusdLoopAvx512(int64_t iterations) {
  static_assert(kDpbusdPerIteration == 16, "the asm below issues 16 instructions");
  const __m512i unsigned_bytes = _mm512_set1_epi8(3);
  const __m512i signed_bytes = _mm512_set1_epi8(-5);
  // In asm: written as intrinsics, the compiler merges the 16 identical
  // chains into one. Each accumulator waits only on its own previous vpdpbusd.
  __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  __m512i a8 = a0, a9 = a0, a10 = a0, a11 = a0, a12 = a0, a13 = a0, a14 = a0, a15 = a0;
  for (int64_t i = 0; i < iterations; ++i) {
    // Two statements: asm allows at most 30 operands, and "+v" counts twice.
    asm volatile(
        "vpdpbusd %[s], %[u], %[a0]\n\t"
        "vpdpbusd %[s], %[u], %[a1]\n\t"
        "vpdpbusd %[s], %[u], %[a2]\n\t"
        "vpdpbusd %[s], %[u], %[a3]\n\t"
        "vpdpbusd %[s], %[u], %[a4]\n\t"
        "vpdpbusd %[s], %[u], %[a5]\n\t"
        "vpdpbusd %[s], %[u], %[a6]\n\t"
        "vpdpbusd %[s], %[u], %[a7]\n\t"
        : [a0] "+v"(a0), [a1] "+v"(a1), [a2] "+v"(a2), [a3] "+v"(a3), [a4] "+v"(a4), [a5] "+v"(a5),
          [a6] "+v"(a6), [a7] "+v"(a7)
        : [u] "v"(unsigned_bytes), [s] "v"(signed_bytes));
    asm volatile(
        "vpdpbusd %[s], %[u], %[a8]\n\t"
        "vpdpbusd %[s], %[u], %[a9]\n\t"
        "vpdpbusd %[s], %[u], %[a10]\n\t"
        "vpdpbusd %[s], %[u], %[a11]\n\t"
        "vpdpbusd %[s], %[u], %[a12]\n\t"
        "vpdpbusd %[s], %[u], %[a13]\n\t"
        "vpdpbusd %[s], %[u], %[a14]\n\t"
        "vpdpbusd %[s], %[u], %[a15]\n\t"
        : [a8] "+v"(a8), [a9] "+v"(a9), [a10] "+v"(a10), [a11] "+v"(a11), [a12] "+v"(a12), [a13] "+v"(a13),
          [a14] "+v"(a14), [a15] "+v"(a15)
        : [u] "v"(unsigned_bytes), [s] "v"(signed_bytes));
  }
  const __m512i sum =
      _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                                        _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7))),
                       _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11)),
                                        _mm512_add_epi32(_mm512_add_epi32(a12, a13), _mm512_add_epi32(a14, a15))));
  return SumLanes(sum);
}

}  // namespace bitbrain::bench
