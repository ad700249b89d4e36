// The LM head's screening kernels (kernels.h, HeadScreen) of every variant in
// the registry against the scalar kernels, bit for bit: the quantized copy
// (codes, scales, code_sq, error_sq) of the 2B4T shape, odd widths, rows of
// zeros, extremes, Inf and NaN; the integer product for 1..17 vectors and
// 1-3 threads. The scalar product is checked against int64 arithmetic.
#include <bit>
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "conformance/float_harness.h"
#include "conformance/ternary_harness.h"

namespace bitbrain::conformance {
namespace {

using kernels::Isa;
using kernels::IsaName;
using kernels::Kernels;
using kernels::KernelsFor;

size_t StrideOf(int cols) {
  const int a = kernels::kHeadScreenAlignment;
  return static_cast<size_t>((cols + a - 1) / a * a);
}

struct Copy {
  std::vector<int8_t> codes;
  std::vector<float> scale;
  std::vector<int64_t> code_sq;
  std::vector<double> error_sq;
};

Copy Quantize(const Kernels& k, kernels::ThreadPool& pool, const std::vector<uint16_t>& e,
              int rows, int cols) {
  const size_t stride = StrideOf(cols);
  // Poisoned, so that a kernel that skips a byte is caught.
  Copy copy{std::vector<int8_t>(kernels::HeadScreenCodeBytes(rows, stride), 99),
            std::vector<float>(rows, -1),
            std::vector<int64_t>(rows, -1), std::vector<double>(rows, -1)};
  pool.ParallelRows(rows, 1, [&](int begin, int end) {
    k.head_screen.quantize(e.data(), cols, begin, end, copy.codes.data(), stride,
                           copy.scale.data(), copy.code_sq.data(), copy.error_sq.data());
  });
  return copy;
}

template <typename T>
bool SameBits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

void CheckQuantize(const std::vector<uint16_t>& e, int rows, int cols) {
  const Copy truth = Quantize(KernelsFor(Isa::kScalar), Pool(1), e, rows, cols);
  for (const Kernels* k : RunnableVariants()) {
    for (int threads : {1, 2, 3}) {
      INFO(IsaName(k->isa) << ": " << rows << " x " << cols << ", " << threads << " threads");
      const Copy copy = Quantize(*k, Pool(threads), e, rows, cols);
      CHECK(SameBits(copy.codes, truth.codes));
      CHECK(SameBits(copy.scale, truth.scale));
      CHECK(SameBits(copy.code_sq, truth.code_sq));
      CHECK(SameBits(copy.error_sq, truth.error_sq));
    }
  }
}

TEST_CASE("screening copy: 2B4T rows and odd widths, every variant equals scalar") {
  for (int cols : {2560, 256, 40, 7, 1}) {
    const int rows = cols == 2560 ? 3000 : 37;
    CheckQuantize(RandomF16(static_cast<size_t>(rows) * cols, cols, -10, 3), rows, cols);
  }
}

TEST_CASE("screening copy: zeros, extremes, subnormals, Inf and NaN rows") {
  const int cols = 100;
  std::vector<uint16_t> e = RandomF16(8 * cols, 5, -14, 15);
  std::fill(e.begin(), e.begin() + cols, 0x0000);  // row 0: zeros
  std::fill(e.begin() + cols, e.begin() + 2 * cols, 0x8000);  // row 1: -0
  for (int i = 0; i < cols; ++i) e[2 * cols + i] = i % 2 ? 0x7BFF : 0xFBFF;  // row 2: +-65504
  for (int i = 0; i < cols; ++i) e[3 * cols + i] = static_cast<uint16_t>(i % 1024);  // subnormals
  e[4 * cols + 99] = 0x7C00;  // row 4: +Inf in the tail
  e[5 * cols + 3] = 0xFE01;   // row 5: a NaN
  e[6 * cols + 50] = 0xFC00;  // row 6: -Inf
  CheckQuantize(e, 8, cols);
  const Copy copy = Quantize(KernelsFor(Isa::kScalar), Pool(1), e, 8, cols);
  CHECK(copy.scale[0] == 0);
  CHECK(copy.error_sq[0] == 0);
  CHECK(copy.scale[2] == 65504.0f / 127);
  CHECK(copy.codes[kernels::HeadScreenCodeOffset(2, 0, StrideOf(cols))] == -127);
  for (int v : {4, 5, 6}) CHECK(std::isinf(copy.error_sq[v]));
  CHECK(std::isfinite(copy.error_sq[7]));
}

std::vector<int8_t> RandomCodes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int8_t> codes(n);
  for (int8_t& c : codes) {
    // A quarter at the extremes, where vpmaddubsw would saturate if misused.
    const uint64_t r = rng();
    c = r % 4 == 0 ? static_cast<int8_t>(r % 8 < 4 ? 127 : -127)
                   : static_cast<int8_t>(static_cast<int>((r >> 8) % 255) - 127);
  }
  return codes;
}

std::vector<int32_t> Screen(const Kernels& k, kernels::ThreadPool& pool,
                            const std::vector<int8_t>& codes, size_t stride,
                            const std::vector<int8_t>& q, int rows, int vectors) {
  std::vector<int32_t> acc(static_cast<size_t>(rows) * vectors, -1);
  pool.ParallelRows(rows, 1, [&](int begin, int end) {
    k.head_screen.screen(codes.data(), stride, q.data(), vectors, begin, end, acc.data(), rows);
  });
  return acc;
}

TEST_CASE("screening product: 1..17 vectors, every variant equals scalar equals int64") {
  const int rows = 203;
  for (size_t stride : {size_t{32}, size_t{2560}, size_t{2592}}) {
    const std::vector<int8_t> codes = RandomCodes(kernels::HeadScreenCodeBytes(rows, stride), stride);
    const std::vector<int8_t> q = RandomCodes(17 * stride, stride + 1);
    const std::vector<int32_t> all = Screen(KernelsFor(Isa::kScalar), Pool(1), codes, stride, q,
                                            rows, 17);
    for (int v = 0; v < rows; ++v) {
      for (int t = 0; t < 17; ++t) {
        int64_t sum = 0;
        for (size_t i = 0; i < stride; ++i) {
          sum += int64_t{codes[kernels::HeadScreenCodeOffset(v, i, stride)]} * q[t * stride + i];
        }
        REQUIRE(all[t * rows + v] == sum);
      }
    }
    for (const Kernels* k : RunnableVariants()) {
      for (int vectors = 1; vectors <= 17; ++vectors) {
        const int threads = 1 + vectors % 3;
        INFO(IsaName(k->isa) << ": stride " << stride << ", " << vectors << " vectors, "
                             << threads << " threads");
        const std::vector<int32_t> acc = Screen(*k, Pool(threads), codes, stride, q, rows, vectors);
        REQUIRE(SameBits(acc, std::vector<int32_t>(all.begin(), all.begin() + vectors * rows)));
      }
    }
  }
}

TEST_CASE("screening product: all codes and q at +-127 (no saturation)") {
  const size_t stride = 2560;
  for (int sign : {1, -1}) {
    const std::vector<int8_t> codes(4 * stride, 127);
    const std::vector<int8_t> q(2 * stride, static_cast<int8_t>(127 * sign));
    for (const Kernels* k : RunnableVariants()) {
      INFO(IsaName(k->isa));
      const std::vector<int32_t> acc = Screen(*k, Pool(1), codes, stride, q, 4, 2);
      for (int32_t a : acc) CHECK(a == sign * 127 * 127 * 2560);
    }
  }
}

}  // namespace
}  // namespace bitbrain::conformance
