// Every ternary matmul variant in the registry, with each of its weight
// layouts, against the scalar kernel on the 2-bit layout, bit for bit, and the scalar kernel against the spec (ternary_harness.h): the
// 2B4T shapes, odd row counts, every K from 128 to 6912, 1..130 tokens, 1-3
// threads, and adversarial weights and activations, each with token counts on
// both sides of the kernels' switches from per-token to GEMM code.
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <vector>

#include "conformance/ternary_harness.h"

namespace bitbrain::conformance {
namespace {

// Checks every variant on every thread count against the scalar result, and
// returns that result.
std::vector<float> CheckVariants(const TernaryWeights& w, const std::vector<float>& x,
                                 int tokens, std::initializer_list<int> thread_counts) {
  const TernaryVariant scalar{&kernels::KernelsFor(kernels::Isa::kScalar),
                              kernels::TernaryLayout::kTwoBit};
  const std::vector<float> truth =
      RunTernaryMatmul(scalar, Pool(1), w, PackFor(scalar, w), x, tokens);
  for (const TernaryVariant& v : RunnableTernaryVariants()) {
    const std::vector<uint8_t> packed = PackFor(v, w);
    for (int threads : thread_counts) {
      INFO(v.Name() << ": " << w.rows << " rows x " << w.cols << " cols, " << tokens
                    << " tokens, " << threads << " threads");
      CHECK(FirstDifference(RunTernaryMatmul(v, Pool(threads), w, packed, x, tokens), truth,
                            w.rows) == "");
    }
  }
  return truth;
}

void CheckAgainstSpec(const TernaryWeights& w, const std::vector<float>& x, int tokens,
                      const std::vector<float>& scalar) {
  INFO("scalar vs spec: " << w.rows << " rows x " << w.cols << " cols, " << tokens << " tokens");
  CHECK(FirstDifference(scalar, SpecTernaryMatmul(w, x, tokens), w.rows, NanBits::kAny) == "");
}

TEST_CASE("2B4T shapes, 1 and 11 tokens, 1-3 threads") {
  struct Shape {
    int cols, rows;  // GGUF order: [cols x rows]
  };
  uint32_t seed = 1;
  for (Shape shape : {Shape{2560, 2560}, Shape{2560, 640}, Shape{2560, 6912}, Shape{6912, 2560}}) {
    const TernaryWeights w = MakeWeights(shape.rows, shape.cols, WeightFill::kRandom, ++seed);
    for (int tokens : {1, 11}) {
      const std::vector<float> x = RandomActivations(tokens, shape.cols, ++seed);
      const std::vector<float> scalar = CheckVariants(w, x, tokens, {1, 2, 3});
      if (tokens == 1) CheckAgainstSpec(w, x, tokens, scalar);
    }
  }
}

TEST_CASE("odd row counts") {
  uint32_t seed = 100;
  for (int rows : {1, 3, 17, 641}) {
    const TernaryWeights w = MakeWeights(rows, 2560, WeightFill::kRandom, ++seed);
    for (int tokens : {1, 9}) {
      const std::vector<float> x = RandomActivations(tokens, w.cols, ++seed);
      CheckAgainstSpec(w, x, tokens, CheckVariants(w, x, tokens, {1, 2, 3}));
    }
  }
}

TEST_CASE("every K from 128 to 6912") {
  // 83 rows: a full GEMV tile of every variant, a group and a partial group.
  uint32_t seed = 200;
  for (int cols = 128; cols <= 6912; cols += 128) {
    const TernaryWeights w = MakeWeights(83, cols, WeightFill::kRandom, ++seed);
    for (int tokens : {1, 9, 18}) {  // GEMV, few tokens, GEMM
      const std::vector<float> x = RandomActivations(tokens, cols, ++seed);
      const std::vector<float> scalar = CheckVariants(w, x, tokens, {1 + cols / 128 % 3});
      if (cols % 1024 == 128) CheckAgainstSpec(w, x, tokens, scalar);
    }
  }
}

TEST_CASE("1 to 130 tokens") {
  // 100 rows: several row tiles for the threads, full and partial row groups.
  const TernaryWeights w = MakeWeights(100, 256, WeightFill::kRandom, 300);
  const std::vector<float> x = RandomActivations(130, w.cols, 301);
  for (int tokens = 1; tokens <= 130; ++tokens) {
    CheckVariants(w, x, tokens, {1 + tokens % 3});
  }
  CheckAgainstSpec(w, x, 130, CheckVariants(w, x, 130, {2}));
}

TEST_CASE("a token's result does not depend on its batch") {
  const TernaryWeights w = MakeWeights(70, 512, WeightFill::kRandom, 400);
  const int tokens = 19;
  const std::vector<float> x = RandomActivations(tokens, w.cols, 401);
  for (const TernaryVariant& v : RunnableTernaryVariants()) {
    const std::vector<uint8_t> packed = PackFor(v, w);
    const std::vector<float> batch = RunTernaryMatmul(v, Pool(2), w, packed, x, tokens);
    for (int t = 0; t < tokens; ++t) {
      const std::vector<float> one(x.begin() + t * w.cols, x.begin() + (t + 1) * w.cols);
      const std::vector<float> alone(batch.begin() + t * w.rows, batch.begin() + (t + 1) * w.rows);
      INFO(v.Name() << ": token " << t);
      CHECK(FirstDifference(RunTernaryMatmul(v, Pool(1), w, packed, one, 1), alone, w.rows) == "");
    }
  }
}

TEST_CASE("weights all -1, all +1, all 0, with extreme activations") {
  const int cols = 6912;  // the largest K: the largest possible |sum|
  // The six patterns below, then again three times: the first 6 tokens run
  // as few-token products, all 24 as a GEMM.
  const int tokens = 24;
  std::vector<float> x(static_cast<size_t>(tokens) * cols);
  for (int t0 = 0; t0 < tokens; t0 += 6) {
    float* p = x.data() + static_cast<size_t>(t0) * cols;
    for (int i = 0; i < cols; ++i) {
      p[0 * cols + i] = 0.0f;                                   // all zero
      p[1 * cols + i] = FLT_MAX;                                // max magnitude, q = 127
      p[2 * cols + i] = -FLT_MAX;                               // q = -127
      p[3 * cols + i] = i % 2 == 0 ? FLT_MAX : -FLT_MAX;        // alternating
      p[4 * cols + i] = i == cols / 2 ? 1.0f : 1e-30f;          // one non-zero q
      p[5 * cols + i] = i % 7 == 0 ? -FLT_MIN / 4 : FLT_MIN / 8;  // subnormal
    }
  }
  uint32_t seed = 500;
  for (WeightFill fill : {WeightFill::kAllMinusOne, WeightFill::kAllPlusOne, WeightFill::kAllZero,
                          WeightFill::kRandom}) {
    const TernaryWeights w = MakeWeights(37, cols, fill, ++seed);
    for (int n : {6, tokens}) CheckAgainstSpec(w, x, n, CheckVariants(w, x, n, {1, 2}));
  }
}

TEST_CASE("a NaN or Inf poisons its own token only") {
  const int cols = 1024;
  const TernaryWeights w = MakeWeights(50, cols, WeightFill::kRandom, 600);
  const int tokens = 20;  // a GEMM; its first 8 tokens run as few-token products
  std::vector<float> x = RandomActivations(tokens, cols, 601);
  x[1 * cols + 0] = NAN;
  x[2 * cols + cols - 1] = INFINITY;
  x[3 * cols + 500] = -INFINITY;
  x[4 * cols + 7] = -NAN;
  x[4 * cols + 9] = INFINITY;  // NaN and Inf in one token
  x[6 * cols + 100] = FLT_MAX;  // large but finite: not poisoned
  CheckAgainstSpec(w, x, 8, CheckVariants(w, x, 8, {1, 3}));
  const std::vector<float> scalar = CheckVariants(w, x, tokens, {1, 3});
  CheckAgainstSpec(w, x, tokens, scalar);
  for (int t = 0; t < tokens; ++t) {
    const bool poisoned = t >= 1 && t <= 4;
    for (int r = 0; r < w.rows; ++r) {
      INFO("token " << t << " row " << r);
      REQUIRE(std::isnan(scalar[t * w.rows + r]) == poisoned);
    }
  }
}

}  // namespace
}  // namespace bitbrain::conformance
