// The LM head's screening kernels (kernels.h, HeadScreen) of every variant in
// the registry against the scalar kernels, bit for bit: the quantized copy
// (both planes, scales, code_sq, error_sq, coarse_error_sq) of the 2B4T shape,
// odd widths, rows of zeros, extremes, Inf and NaN; the coarse and the fine
// products for 1..17 vectors and 1-3 threads. The scalar products are
// checked against int64 arithmetic on the planes' values.
#include <bit>
#include <cmath>
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "conformance/float_harness.h"
#include "conformance/ternary_harness.h"
#include "kernels/formats/f16.h"

namespace bitbrain::conformance {
namespace {

using kernels::Isa;
using kernels::IsaName;
using kernels::Kernels;
using kernels::KernelsFor;

size_t StrideOf(int cols) {
  const int a = kernels::kHeadScreenBlock;
  return static_cast<size_t>((cols + a - 1) / a * a);
}

struct Copy {
  std::vector<uint8_t> coarse, fine;
  std::vector<float> scale;
  std::vector<int64_t> code_sq;
  std::vector<double> error_sq, coarse_error_sq;

  // The int8 code of column i of row v.
  int Code(int v, size_t i, size_t stride) const {
    return 4 * kernels::HeadScreenCoarseCode(coarse.data(), v, i, stride) +
           kernels::HeadScreenFineCode(fine.data(), v, i, stride) - 128;
  }
};

Copy Quantize(const Kernels& k, kernels::ThreadPool& pool, const std::vector<uint16_t>& e,
              int rows, int cols) {
  const size_t stride = StrideOf(cols);
  // Poisoned, so that a kernel that skips a byte is caught.
  Copy copy{std::vector<uint8_t>(kernels::HeadScreenCoarseBytes(rows, stride), 99),
            std::vector<uint8_t>(kernels::HeadScreenFineBytes(rows, stride), 99),
            std::vector<float>(rows, -1),
            std::vector<int64_t>(rows, -1),
            std::vector<double>(rows, -1),
            std::vector<double>(rows, -1)};
  const kernels::HeadScreenCopy out{copy.coarse.data(),    copy.fine.data(),
                                    stride,                copy.scale.data(),
                                    copy.code_sq.data(),   copy.error_sq.data(),
                                    copy.coarse_error_sq.data()};
  pool.ParallelRows(rows, 1, [&](int begin, int end) {
    k.head_screen.quantize(e.data(), cols, begin, end, out);
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
      CHECK(SameBits(copy.coarse, truth.coarse));
      CHECK(SameBits(copy.fine, truth.fine));
      CHECK(SameBits(copy.scale, truth.scale));
      CHECK(SameBits(copy.code_sq, truth.code_sq));
      CHECK(SameBits(copy.error_sq, truth.error_sq));
      CHECK(SameBits(copy.coarse_error_sq, truth.coarse_error_sq));
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
  CHECK(copy.Code(2, 0, StrideOf(cols)) == -127);
  CHECK(copy.Code(2, 1, StrideOf(cols)) == 127);
  for (int v : {4, 5, 6}) {
    CHECK(std::isinf(copy.error_sq[v]));
    CHECK(std::isinf(copy.coarse_error_sq[v]));
  }
  CHECK(std::isfinite(copy.error_sq[7]));
}

TEST_CASE("screening copy: the scalar copy's codes, code_sq and errors, recomputed") {
  const int rows = 50, cols = 300;
  const size_t stride = StrideOf(cols);
  const std::vector<uint16_t> e = RandomF16(static_cast<size_t>(rows) * cols, 23, -8, 2);
  const Copy copy = Quantize(KernelsFor(Isa::kScalar), Pool(1), e, rows, cols);
  for (int v = 0; v < rows; ++v) {
    const float c = copy.scale[v];
    int64_t code_sq = 0;
    long double error_sq = 0, coarse_error_sq = 0;
    for (size_t i = 0; i < stride; ++i) {
      const int u = copy.Code(v, i, stride) + 128;
      if (i >= static_cast<size_t>(cols)) {
        REQUIRE(u == 0);  // the padding
        continue;
      }
      const long double x = F16ToF32(e[v * cols + i]);
      REQUIRE(std::fabs(x - c * (u - 128.0L)) <= c / 2 * (1 + 1e-6));
      code_sq += (u - 128) * (u - 128);
      error_sq += (x - c * (u - 128.0L)) * (x - c * (u - 128.0L));
      const long double coarse = 4 * (u >> 2) - 126.5L;
      coarse_error_sq += (x - c * coarse) * (x - c * coarse);
    }
    CHECK(copy.code_sq[v] == code_sq);
    CHECK(std::fabs(copy.error_sq[v] - error_sq) <= 1e-12 * error_sq);
    CHECK(std::fabs(copy.coarse_error_sq[v] - coarse_error_sq) <= 1e-12 * coarse_error_sq);
    // The coarse codes are within 1.5 of the codes, so at most ~4 times off.
    CHECK(copy.coarse_error_sq[v] > copy.error_sq[v]);
  }
}

std::vector<int8_t> RandomQ(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int8_t> q(n);
  for (int8_t& x : q) {
    // A quarter at the extremes, where vpmaddubsw would saturate if misused.
    const uint64_t r = rng();
    x = r % 4 == 0 ? static_cast<int8_t>(r % 8 < 4 ? 127 : -127)
                   : static_cast<int8_t>(static_cast<int>((r >> 8) % 255) - 127);
  }
  return q;
}

// Any bytes are valid planes: 6-bit and 2-bit fields.
std::vector<uint8_t> RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> bytes(n);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng() % 4 == 0 ? 0xFF : rng());
  return bytes;
}

std::vector<int32_t> Screen(const Kernels& k, kernels::ThreadPool& pool,
                            const std::vector<uint8_t>& coarse, size_t stride,
                            const std::vector<int8_t>& q, int rows, int vectors) {
  std::vector<int32_t> acc(static_cast<size_t>(rows) * vectors, -1);
  pool.ParallelRows(rows, 1, [&](int begin, int end) {
    k.head_screen.screen(coarse.data(), stride, q.data(), vectors, begin, end, acc.data(), rows);
  });
  return acc;
}

std::vector<int32_t> Refine(const Kernels& k, kernels::ThreadPool& pool,
                            const std::vector<uint8_t>& fine, size_t stride,
                            const std::vector<int8_t>& q, const std::vector<int32_t>& ids,
                            int vectors) {
  const int count = static_cast<int>(ids.size());
  std::vector<int32_t> acc(static_cast<size_t>(count) * vectors, -1);
  pool.ParallelRows(count, 1, [&](int begin, int end) {
    k.head_screen.refine(fine.data(), stride, q.data(), vectors, ids.data() + begin, end - begin,
                         acc.data() + begin, count);
  });
  return acc;
}

TEST_CASE("screening products: 1..17 vectors, every variant equals scalar equals int64") {
  const int rows = 203;
  for (size_t stride : {size_t{128}, size_t{2560}, size_t{2688}}) {
    const std::vector<uint8_t> coarse =
        RandomBytes(kernels::HeadScreenCoarseBytes(rows, stride), stride);
    const std::vector<uint8_t> fine =
        RandomBytes(kernels::HeadScreenFineBytes(rows, stride), stride + 2);
    const std::vector<int8_t> q = RandomQ(17 * stride, stride + 1);
    // Rows for the fine product: ascending with gaps, as a selection's.
    std::vector<int32_t> ids;
    for (int v = 0; v < rows; v += 1 + v % 4) ids.push_back(v);
    const int count = static_cast<int>(ids.size());
    const std::vector<int32_t> all = Screen(KernelsFor(Isa::kScalar), Pool(1), coarse, stride, q,
                                            rows, 17);
    const std::vector<int32_t> all_fine = Refine(KernelsFor(Isa::kScalar), Pool(1), fine, stride,
                                                 q, ids, 17);
    for (int t = 0; t < 17; ++t) {
      const int8_t* x = q.data() + t * stride;
      for (int v = 0; v < rows; ++v) {
        int64_t sum = 0;
        for (size_t i = 0; i < stride; ++i) {
          sum += int64_t{kernels::HeadScreenCoarseCode(coarse.data(), v, i, stride)} * x[i];
        }
        REQUIRE(all[t * rows + v] == sum);
      }
      for (int j = 0; j < count; ++j) {
        int64_t sum = 0;
        for (size_t i = 0; i < stride; ++i) {
          sum += int64_t{kernels::HeadScreenFineCode(fine.data(), ids[j], i, stride)} * x[i];
        }
        REQUIRE(all_fine[t * count + j] == sum);
      }
    }
    for (const Kernels* k : RunnableVariants()) {
      for (int vectors = 1; vectors <= 17; ++vectors) {
        const int threads = 1 + vectors % 3;
        INFO(IsaName(k->isa) << ": stride " << stride << ", " << vectors << " vectors, "
                             << threads << " threads");
        const std::vector<int32_t> acc =
            Screen(*k, Pool(threads), coarse, stride, q, rows, vectors);
        REQUIRE(SameBits(acc, std::vector<int32_t>(all.begin(), all.begin() + vectors * rows)));
        const std::vector<int32_t> fine_acc =
            Refine(*k, Pool(threads), fine, stride, q, ids, vectors);
        REQUIRE(SameBits(fine_acc, std::vector<int32_t>(all_fine.begin(),
                                                        all_fine.begin() + vectors * count)));
      }
    }
  }
}

TEST_CASE("screening products: all values and q at their extremes (no saturation)") {
  const size_t stride = 2560;
  for (int sign : {1, -1}) {
    const std::vector<uint8_t> ones(4 * stride, 0xFF);  // u >> 2 = 63, u & 3 = 3
    const std::vector<int8_t> q(2 * stride, static_cast<int8_t>(127 * sign));
    for (const Kernels* k : RunnableVariants()) {
      INFO(IsaName(k->isa));
      for (int32_t a : Screen(*k, Pool(1), ones, stride, q, 4, 2)) {
        CHECK(a == sign * 63 * 127 * 2560);
      }
      for (int32_t a : Refine(*k, Pool(1), ones, stride, q, {0, 1, 3}, 2)) {
        CHECK(a == sign * 3 * 127 * 2560);
      }
    }
  }
}

}  // namespace
}  // namespace bitbrain::conformance
