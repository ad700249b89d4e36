#include "engine/synthetic/weights.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cmath>
#include <cstring>
#include <thread>

#include "engine/synthetic/random.h"
#include "kernels/formats/f16.h"
#include "kernels/formats/i2s.h"

namespace bitbrain::synthetic {
namespace {

size_t ChunkCount(size_t n) { return (n + kChunkElements - 1) / kChunkElements; }

// Runs body(chunk) for every chunk in [0, n_chunks), spread over the cores.
// The bodies write disjoint outputs, so the result does not depend on the
// number of threads.
template <typename Body>
void ForEachChunk(size_t n_chunks, const Body& body) {
  const size_t n_threads = std::min<size_t>(n_chunks, std::max(1u, std::thread::hardware_concurrency()));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t chunk; (chunk = next.fetch_add(1)) < n_chunks;) body(chunk);
  };
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < n_threads; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
}

// Calls visit(j, k) for each element j of the chunk with its normal-table
// index k: four 16-bit indices from each 64-bit output of the chunk's stream.
template <typename Visit>
void DrawChunk(uint64_t seed, std::string_view name, size_t n, size_t chunk, const Visit& visit) {
  Xoshiro256 rng(StreamSeed(seed, name, chunk));
  const size_t begin = chunk * kChunkElements;
  const size_t end = std::min(n, begin + kChunkElements);
  size_t j = begin;
  for (; j + 4 <= end; j += 4) {
    const uint64_t bits = rng.Next();
    visit(j, static_cast<uint16_t>(bits));
    visit(j + 1, static_cast<uint16_t>(bits >> 16));
    visit(j + 2, static_cast<uint16_t>(bits >> 32));
    visit(j + 3, static_cast<uint16_t>(bits >> 48));
  }
  for (uint64_t bits = rng.Next(); j < end; ++j, bits >>= 16) visit(j, static_cast<uint16_t>(bits));
}

// Applies f to every normal-table entry: per-element work becomes a lookup.
template <typename T, typename F>
std::vector<T> MapTable(const F& f) {
  const NormalTable& z = StandardNormalTable();
  std::vector<T> mapped(z.size());
  for (size_t k = 0; k < z.size(); ++k) mapped[k] = f(z[k]);
  return mapped;
}

// Writes table[k] for each element's index k into out, as raw bytes.
template <typename T>
void FillFromTable(uint64_t seed, std::string_view name, const std::vector<T>& table, std::span<uint8_t> out) {
  const size_t n = out.size() / sizeof(T);
  ForEachChunk(ChunkCount(n), [&](size_t chunk) {
    DrawChunk(seed, name, n, chunk, [&](size_t j, uint16_t k) {
      std::memcpy(out.data() + j * sizeof(T), &table[k], sizeof(T));
    });
  });
}

}  // namespace

std::vector<uint16_t> SampleNormalIndices(uint64_t seed, std::string_view name, size_t n) {
  std::vector<uint16_t> indices(n);
  ForEachChunk(ChunkCount(n), [&](size_t chunk) {
    DrawChunk(seed, name, n, chunk, [&](size_t j, uint16_t k) { indices[j] = k; });
  });
  return indices;
}

void FillTernary(uint64_t seed, std::string_view name, float sigma, std::span<uint8_t> out) {
  assert(out.size() > i2s::kTailBytes && (out.size() - i2s::kTailBytes) % i2s::kBlockBytes == 0);
  const size_t n = (out.size() - i2s::kTailBytes) * 4;
  const size_t n_chunks = ChunkCount(n);
  const std::vector<double> abs_latent = MapTable<double>([sigma](float z) { return std::fabs(sigma * z); });

  // First pass: the sum of |W| per chunk, then over the chunks in order, so
  // the scale does not depend on the number of threads.
  std::vector<double> chunk_abs_sum(n_chunks);
  ForEachChunk(n_chunks, [&](size_t chunk) {
    double sum = 0;
    DrawChunk(seed, name, n, chunk, [&](size_t, uint16_t k) { sum += abs_latent[k]; });
    chunk_abs_sum[chunk] = sum;
  });
  double abs_sum = 0;
  for (const double s : chunk_abs_sum) abs_sum += s;
  const float scale = static_cast<float>(abs_sum / static_cast<double>(n));

  // Second pass: the same draws again (faster than keeping them),
  // ternarized and packed chunk by chunk. I2_S blocks are independent and
  // chunks hold whole blocks, so a chunk packs on its own; the last chunk's
  // tail is the tensor's (the scale at byte n/4).
  const std::vector<int8_t> ternary_of = MapTable<int8_t>([sigma, scale](float z) {
    const float w = sigma * z;
    return static_cast<int8_t>(std::clamp(std::round(w / scale), -1.0f, 1.0f));
  });
  static_assert(kChunkElements % i2s::kBlockElements == 0);
  ForEachChunk(n_chunks, [&](size_t chunk) {
    const size_t begin = chunk * kChunkElements;
    const size_t count = std::min(n - begin, kChunkElements);
    std::vector<int8_t> ternary(count);
    DrawChunk(seed, name, n, chunk, [&](size_t j, uint16_t k) { ternary[j - begin] = ternary_of[k]; });
    if (chunk + 1 == n_chunks) {
      i2s::Pack(ternary, scale, out.subspan(begin / 4));
    } else {
      std::vector<uint8_t> packed(i2s::TensorBytes(count));
      i2s::Pack(ternary, scale, packed);
      std::copy_n(packed.begin(), count / 4, out.begin() + begin / 4);
    }
  });
}

void FillF32(uint64_t seed, std::string_view name, float mean, float sigma, std::span<uint8_t> out) {
  FillFromTable(seed, name, MapTable<float>([=](float z) { return mean + sigma * z; }), out);
}

void FillF16(uint64_t seed, std::string_view name, float sigma, std::span<uint8_t> out) {
  FillFromTable(seed, name, MapTable<uint16_t>([=](float z) { return F32ToF16(sigma * z); }), out);
}

}  // namespace bitbrain::synthetic
