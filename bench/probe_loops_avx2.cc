// Compiled with -mavx2.
#include <immintrin.h>

#include "bench/probe_loops.h"

namespace bitbrain::bench {

uint64_t ReadSumAvx2(const uint8_t* data, size_t bytes) {
  // Four accumulators per step of 8 loads: the adds never limit the loads.
  __m256i sum0 = _mm256_setzero_si256(), sum1 = sum0, sum2 = sum0, sum3 = sum0;
  for (size_t i = 0; i < bytes; i += kReadLoopStepBytes) {
    const __m256i* p = reinterpret_cast<const __m256i*>(data + i);
    sum0 = _mm256_add_epi64(sum0, _mm256_add_epi64(_mm256_load_si256(p + 0), _mm256_load_si256(p + 1)));
    sum1 = _mm256_add_epi64(sum1, _mm256_add_epi64(_mm256_load_si256(p + 2), _mm256_load_si256(p + 3)));
    sum2 = _mm256_add_epi64(sum2, _mm256_add_epi64(_mm256_load_si256(p + 4), _mm256_load_si256(p + 5)));
    sum3 = _mm256_add_epi64(sum3, _mm256_add_epi64(_mm256_load_si256(p + 6), _mm256_load_si256(p + 7)));
  }
  const __m256i sum = _mm256_add_epi64(_mm256_add_epi64(sum0, sum1), _mm256_add_epi64(sum2, sum3));
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), sum);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

int64_t MaddubsLoopAvx2(int64_t iterations) {
  static_assert(kMaddubsPerIteration == 12, "the asm below issues 12 instructions");
  const __m256i unsigned_bytes = _mm256_set1_epi8(3);
  const __m256i signed_bytes = _mm256_set1_epi8(-5);
  // vpmaddubsw has no accumulator operand: written as intrinsics, the loop
  // would be invariant and hoisted. The asm issues 12 instructions into 12
  // distinct registers, so nothing depends on anything but the two inputs.
  __m256i r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11;
  for (int64_t i = 0; i < iterations; ++i) {
    asm volatile(
        "vpmaddubsw %[s], %[u], %[r0]\n\t"
        "vpmaddubsw %[s], %[u], %[r1]\n\t"
        "vpmaddubsw %[s], %[u], %[r2]\n\t"
        "vpmaddubsw %[s], %[u], %[r3]\n\t"
        "vpmaddubsw %[s], %[u], %[r4]\n\t"
        "vpmaddubsw %[s], %[u], %[r5]\n\t"
        "vpmaddubsw %[s], %[u], %[r6]\n\t"
        "vpmaddubsw %[s], %[u], %[r7]\n\t"
        "vpmaddubsw %[s], %[u], %[r8]\n\t"
        "vpmaddubsw %[s], %[u], %[r9]\n\t"
        "vpmaddubsw %[s], %[u], %[r10]\n\t"
        "vpmaddubsw %[s], %[u], %[r11]\n\t"
        : [r0] "=x"(r0), [r1] "=x"(r1), [r2] "=x"(r2), [r3] "=x"(r3), [r4] "=x"(r4), [r5] "=x"(r5),
          [r6] "=x"(r6), [r7] "=x"(r7), [r8] "=x"(r8), [r9] "=x"(r9), [r10] "=x"(r10), [r11] "=x"(r11)
        : [u] "x"(unsigned_bytes), [s] "x"(signed_bytes));
  }
  if (iterations == 0) return 0;
  // Every lane is 2 x 3 x -5 = -30; the value only keeps the results used.
  __m256i sum = _mm256_add_epi16(_mm256_add_epi16(_mm256_add_epi16(r0, r1), _mm256_add_epi16(r2, r3)),
                                 _mm256_add_epi16(_mm256_add_epi16(r4, r5), _mm256_add_epi16(r6, r7)));
  sum = _mm256_add_epi16(sum, _mm256_add_epi16(_mm256_add_epi16(r8, r9), _mm256_add_epi16(r10, r11)));
  return static_cast<int16_t>(_mm256_extract_epi16(sum, 0));
}

}  // namespace bitbrain::bench
