// Software prefetch for the SIMD kernels that stream their weights from memory
// once per call: the GEMVs of decoding (ternary matmuls with one token, the LM
// head and its screening copy). Plain SSE prefetch instructions, for every
// SIMD variant.
//
// On the Zen 3 test machine the hardware prefetchers alone do not run far
// enough ahead: a 2-bit ternary GEMV that computes 20 GB/s from cache got 9-12
// GB/s from memory on one core of 19, i.e. loads and computation did not
// overlap; and they restart at every 4 KiB page and every short row stream
// (a row of the F16 head is 5120 bytes). Asking for each cache line a
// fixed distance before it is read lets the computation hide the memory
// latency. Prefetch instructions never fault, so a stream may run past the end
// of its data; they change no result.
#ifndef BITBRAIN_KERNELS_PREFETCH_H_
#define BITBRAIN_KERNELS_PREFETCH_H_

#include <immintrin.h>

#include <cstddef>

namespace bitbrain::kernels {

inline constexpr int kCacheLineBytes = 64;

// How far ahead each stream prefetches: about what memory delivers to a core
// within its latency (~19 GB/s x ~100 ns = 2 KB), shared among the streams a
// kernel reads at once. Swept (0 to 8 KB) on the 2B4T shapes, 1 and 2 threads,
// 2 MB and 4 KiB pages (the engine maps its weights in 4 KiB pages): for the
// one stream of a ternary row group 2048 bytes was the best or within noise of
// it everywhere (1024 and 4096 were slower on 4 KiB pages); for each of the 4
// row streams of head_matmul 1024 bytes (512 slower; 2048 slower). The
// screening copy's single stream takes the ternary distance (1024 measured
// the same, within noise). The best values did not depend on the
// shape or the thread count, so they are constants, not tuning parameters.
inline constexpr size_t kGroupStreamPrefetchBytes = 2048;
inline constexpr size_t kRowStreamPrefetchBytes = 1024;

// Prefetches, into every cache level, the cache lines holding [p, p + kBytes).
template <int kBytes>
inline __attribute__((always_inline)) void PrefetchLines(const void* p) {
#pragma GCC unroll 8
  for (int offset = 0; offset < kBytes; offset += kCacheLineBytes) {
    _mm_prefetch(static_cast<const char*>(p) + offset, _MM_HINT_T0);
  }
}

// A kernel that reads a block of `rows` consecutive rows of row_bytes each
// side by side (row r from block + r * row_bytes) reads the next block (from
// block + rows * row_bytes) the same way next. Its stream over row r continues
// past the row's end in row r of the next block. RowStreamAhead gives the
// position, from the block's start, that lies `distance` bytes further along
// that stream than byte `offset` of row r (offset < row_bytes; for rows
// shorter than `distance` it lies beyond the stream, which only wastes a
// prefetch).
constexpr size_t RowStreamAhead(size_t row_bytes, int rows, int r, size_t offset, size_t distance) {
  const size_t ahead = offset + distance;
  return ahead < row_bytes ? r * row_bytes + ahead : (rows + r) * row_bytes + (ahead - row_bytes);
}
static_assert(RowStreamAhead(2560, 4, 1, 100, 1024) == 2560 + 1124);
static_assert(RowStreamAhead(2560, 4, 1, 2048, 1024) == 5 * 2560 + 512);
static_assert(RowStreamAhead(2560, 1, 0, 1536, 1024) == 2560);

// For a kernel at byte `offset` of each row of a block of kRows rows (as in
// RowStreamAhead): prefetches the line kRowStreamPrefetchBytes ahead on each
// row's stream, once per cache line (when offset starts one).
template <int kRows>
inline __attribute__((always_inline)) void PrefetchRowStreams(const void* block, size_t row_bytes,
                                                              size_t offset) {
  if (offset % kCacheLineBytes != 0) return;
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
    _mm_prefetch(static_cast<const char*>(block) +
                     RowStreamAhead(row_bytes, kRows, r, offset, kRowStreamPrefetchBytes),
                 _MM_HINT_T0);
  }
}

}  // namespace bitbrain::kernels

#endif  // BITBRAIN_KERNELS_PREFETCH_H_
