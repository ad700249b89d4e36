// The F16 LM head (NUMERICS.md section 2.7) of every variant in the registry
// against the scalar kernel, bit for bit: the full 2B4T head, 1..130 tokens,
// lengths that leave a tail, 1-3 threads, and adversarial embeddings and
// inputs. A NaN matches any NaN (float_harness.h).
#include <bit>
#include <catch2/catch.hpp>
#include <cmath>
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

struct Head {
  int rows, cols;
  std::vector<uint16_t> embeddings;  // rows x cols f16
};

// Embedding-like rows: magnitudes 2^-10 .. 2^-1.
Head RandomHead(int rows, int cols, uint64_t seed) {
  return {rows, cols, RandomF16(static_cast<size_t>(rows) * cols, seed, -10, -1)};
}

// Checks every variant on each thread count against the scalar kernel and
// returns the scalar logits.
std::vector<float> CheckVariants(const Head& head, const std::vector<float>& hn, int tokens,
                                 std::initializer_list<int> thread_counts) {
  const std::vector<float> truth =
      RunHeadMatmul(KernelsFor(Isa::kScalar), Pool(1), head.embeddings, head.rows, head.cols,
                    hn.data(), tokens);
  for (const Kernels* k : RunnableVariants()) {
    for (int threads : thread_counts) {
      INFO(IsaName(k->isa) << ": " << head.rows << " rows x " << head.cols << " cols, " << tokens
                           << " tokens, " << threads << " threads");
      CHECK(FirstDifference(RunHeadMatmul(*k, Pool(threads), head.embeddings, head.rows,
                                          head.cols, hn.data(), tokens),
                            truth, head.rows, NanBits::kAny) == "");
    }
  }
  return truth;
}

TEST_CASE("the full 2B4T head: 2560 x 128256, one token, 1-3 threads") {
  const Head head = RandomHead(128256, 2560, 1);
  CheckVariants(head, RandomF16Floats(2560, 2, -6, 3), 1, {1, 2, 3});
}

TEST_CASE("1..130 tokens equal the rows of one 130-token product") {
  // GEMM equals GEMV token by token, whatever the batch and its offset
  // (section 3): each variant on tokens [first, first + tokens) against the
  // scalar kernel's 130-token logits.
  const Head head = RandomHead(11, 2560, 3);
  const std::vector<float> hn = RandomF16Floats(130 * 2560, 4, -6, 3);
  const std::vector<float> truth = RunHeadMatmul(KernelsFor(Isa::kScalar), Pool(1),
                                                 head.embeddings, head.rows, head.cols,
                                                 hn.data(), 130);
  for (const Kernels* k : RunnableVariants()) {
    for (int tokens = 1; tokens <= 130; ++tokens) {
      const int first = (tokens * 7) % (131 - tokens);
      const int threads = 1 + tokens % 3;
      INFO(IsaName(k->isa) << ": tokens " << first << " .. " << first + tokens - 1 << ", "
                           << threads << " threads");
      const std::vector<float> logits = RunHeadMatmul(
          *k, Pool(threads), head.embeddings, head.rows, head.cols,
          hn.data() + static_cast<size_t>(first) * head.cols, tokens);
      const std::vector<float> expected(truth.begin() + first * head.rows,
                                        truth.begin() + (first + tokens) * head.rows);
      REQUIRE(FirstDifference(logits, expected, head.rows) == "");
    }
  }
}

TEST_CASE("lengths and row counts that leave tails") {
  uint64_t seed = 10;
  for (int cols : {1, 3, 15, 16, 17, 33, 100, 2567}) {
    for (int rows : {1, 3, 5, 9, 17}) {
      const Head head = RandomHead(rows, cols, ++seed);
      for (int tokens : {1, 2, 5, 7}) {
        CheckVariants(head, RandomF16Floats(static_cast<size_t>(tokens) * cols, ++seed, -6, 3),
                      tokens, {1 + (cols + rows) % 3});
      }
    }
  }
}

TEST_CASE("all-zero embeddings and input give +0 logits") {
  const Head head{37, 2560, std::vector<uint16_t>(37 * 2560, 0)};
  const std::vector<float> logits =
      CheckVariants(head, std::vector<float>(3 * 2560, 0.0f), 3, {1, 2});
  for (float logit : logits) REQUIRE(std::bit_cast<uint32_t>(logit) == 0u);
}

TEST_CASE("max-magnitude f16 embeddings and input") {
  // +-65504 everywhere: products of 4.3e9, sums up to 1.1e13, still finite.
  Head head = RandomHead(37, 2560, 20);
  for (uint16_t& e : head.embeddings) e = (e & 0x8000u) | 0x7BFFu;
  std::vector<float> hn = RandomF16Floats(5 * 2560, 21, -6, 3);
  for (float& x : hn) x = std::copysign(65504.0f, x);
  for (float logit : CheckVariants(head, hn, 5, {1, 3})) REQUIRE(std::isfinite(logit));
}

TEST_CASE("products that underflow to -0: the padding of a tail makes +0") {
  // Every product is -1e-44 * 2^-10 < 0, rounded to -0, so every lane ends
  // -0 unless a zero padding element reaches it (NUMERICS.md 1.1): the
  // logit is -0 if cols is a multiple of 16, +0 if a tail pads lanes that
  // hold elements.
  for (int cols : {16, 17, 31, 33, 100, 2560, 2567}) {
    const Head head{5, cols, std::vector<uint16_t>(5 * cols, 0x1400)};  // 2^-10
    const std::vector<float> logits =
        CheckVariants(head, std::vector<float>(2 * cols, -1e-44f), 2, {1, 2});
    INFO("cols = " << cols);
    for (float logit : logits) {
      REQUIRE(std::bit_cast<uint32_t>(logit) == (cols % 16 == 0 ? 0x80000000u : 0u));
    }
  }
}

TEST_CASE("NaN and Inf in embeddings and input") {
  // Positive data, so that the signs of infinities are known. Row 1 holds
  // +Inf, row 2 a NaN, row 3 +Inf and -Inf (at the column where token 2 has
  // -Inf); token 1 of the input holds a NaN and token 2 a -Inf. A NaN
  // anywhere in a dot product makes it NaN, and so does Inf + -Inf.
  Head head = RandomHead(9, 100, 30);
  for (uint16_t& e : head.embeddings) e &= 0x7FFFu;
  head.embeddings[1 * 100 + 7] = 0x7C00;   // +Inf
  head.embeddings[2 * 100 + 50] = 0x7E00;  // NaN
  head.embeddings[3 * 100 + 3] = 0x7C00;
  head.embeddings[3 * 100 + 99] = 0xFC00;  // -Inf
  std::vector<float> hn = RandomF16Floats(4 * 100, 31, -6, 3);
  for (float& x : hn) x = std::fabs(x);
  hn[1 * 100 + 20] = NAN;
  hn[2 * 100 + 99] = -INFINITY;
  const std::vector<float> logits = CheckVariants(head, hn, 4, {1, 2, 3});
  for (int t = 0; t < 4; ++t) {
    for (int v = 0; v < 9; ++v) {
      INFO("token " << t << " row " << v);
      const float logit = logits[t * 9 + v];
      if (t == 1 || v == 2 || (t == 2 && v == 1) || (t != 2 && v == 3)) {
        CHECK(std::isnan(logit));
      } else if (t == 2 && v == 3) {
        CHECK(logit == INFINITY);  // -Inf * -Inf + Inf * x
      } else if (t == 2) {
        CHECK(logit == -INFINITY);
      } else if (v == 1) {
        CHECK(logit == INFINITY);
      } else {
        CHECK(std::isfinite(logit));
      }
    }
  }
}

}  // namespace
}  // namespace bitbrain::conformance
