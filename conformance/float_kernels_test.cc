// RMSNorm, RoPE, the steps of attention and the element-wise kernels
// (NUMERICS.md sections 1.2, 1.4, 2.2, 2.4-2.6) of every variant in the
// registry against the scalar kernels, bit for bit: the 2B4T shapes, lengths
// that leave tails, and adversarial data. A NaN matches any NaN except where
// the contract fixes its bits (float_harness.h).
#include <bit>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <vector>

#include "conformance/float_harness.h"
#include "conformance/ternary_harness.h"
#include "kernels/formats/f16.h"
#include "kernels/rope_table.h"

namespace bitbrain::conformance {
namespace {

using kernels::Isa;
using kernels::IsaName;
using kernels::Kernels;
using kernels::KernelsFor;

const Kernels& Scalar() { return KernelsFor(Isa::kScalar); }

// Lengths with every tail: 2B4T's 2560 and 6912, and around multiples of 8
// and 16.
constexpr int kLengths[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100, 2560, 6912};

// Random data with special values spread over it.
std::vector<float> WithSpecials(std::vector<float> x, uint64_t seed) {
  const std::vector<float> specials = SpecialFloats();
  for (size_t i = 0; i < specials.size() && i < x.size(); ++i) {
    x[(i * 7919 + seed) % x.size()] = specials[i];
  }
  return x;
}

// ---- RMSNorm ---------------------------------------------------------------

std::vector<float> RunRmsNorm(const Kernels& k, const std::vector<float>& x,
                              const std::vector<float>& w, bool in_place) {
  std::vector<float> y = x;
  k.rmsnorm(in_place ? y.data() : x.data(), w.data(), static_cast<int>(x.size()), 1e-5f,
            y.data());
  return y;
}

void CheckRmsNorm(const std::vector<float>& x, const std::vector<float>& w) {
  const std::vector<float> truth = RunRmsNorm(Scalar(), x, w, false);
  for (const Kernels* k : RunnableVariants()) {
    for (bool in_place : {false, true}) {
      INFO(IsaName(k->isa) << ": n = " << x.size() << (in_place ? ", in place" : ""));
      CHECK(FirstDifference(RunRmsNorm(*k, x, w, in_place), truth,
                            static_cast<int>(x.size()), NanBits::kAny) == "");
    }
  }
}

TEST_CASE("rmsnorm") {
  uint64_t seed = 1;
  for (int n : kLengths) {
    const std::vector<float> w = RandomFloats(n, ++seed, -2, 1);
    for (auto [min_exponent, max_exponent] : {std::pair{-10, 4}, {-60, -40}, {50, 60}}) {
      CheckRmsNorm(RandomFloats(n, ++seed, min_exponent, max_exponent), w);
    }
    CheckRmsNorm(std::vector<float>(n, 0.0f), w);          // all zero: y = 0
    CheckRmsNorm(std::vector<float>(n, FLT_MAX), w);       // sum of squares overflows
    CheckRmsNorm(std::vector<float>(n, -FLT_TRUE_MIN), w);  // mean is eps
    ++seed;
    CheckRmsNorm(WithSpecials(RandomFloats(n, seed, -10, 4), seed), w);
  }
}

// ---- RoPE ------------------------------------------------------------------

TEST_CASE("rope") {
  uint64_t seed = 100;
  for (int head_dim : {2, 6, 14, 16, 30, 32, 34, 64, 66, 128}) {
    std::vector<float> cos(head_dim / 2), sin(head_dim / 2);
    for (int pos : {0, 1, 17, 600, 4095, 100000}) {
      kernels::RopeCosSin(pos, head_dim, 500000.0, cos.data(), sin.data());
      for (bool specials : {false, true}) {
        std::vector<float> x = RandomFloats(head_dim, ++seed, -10, 6);
        if (specials) x = WithSpecials(x, seed);
        std::vector<float> truth = x;
        Scalar().rope(truth.data(), cos.data(), sin.data(), head_dim);
        for (const Kernels* k : RunnableVariants()) {
          INFO(IsaName(k->isa) << ": head_dim " << head_dim << ", position " << pos);
          std::vector<float> y = x;
          k->rope(y.data(), cos.data(), sin.data(), head_dim);
          CHECK(FirstDifference(y, truth, head_dim, NanBits::kAny) == "");
        }
      }
    }
  }
}

// ---- Attention -------------------------------------------------------------

// An f16 KV cache laid out [position][kv head][head_dim], with attention
// reading KV head 3 of 5: a stride of 5 heads between positions, where the
// engine's cache (sequence.h) keeps each KV head's positions contiguous.
struct Cache {
  int head_dim;
  int positions;
  std::vector<uint16_t> keys, values;
  size_t stride() const { return static_cast<size_t>(5 * head_dim); }
  const uint16_t* key(int head) const { return keys.data() + head * head_dim; }
  const uint16_t* value(int head) const { return values.data() + head * head_dim; }
};

Cache RandomCache(int head_dim, int positions, uint64_t seed) {
  const size_t size = static_cast<size_t>(positions) * 5 * head_dim;
  return {head_dim, positions, RandomF16(size, seed, -4, 2), RandomF16(size, seed + 1, -8, 1)};
}

AttentionSteps CheckAttention(const std::vector<float>& q, const Cache& cache, int positions) {
  const AttentionSteps truth =
      RunAttention(Scalar(), q, cache.key(3), cache.value(3), cache.stride(), positions);
  for (const Kernels* k : RunnableVariants()) {
    INFO(IsaName(k->isa) << ": head_dim " << q.size() << ", " << positions << " positions");
    CHECK(FirstDifference(
              RunAttention(*k, q, cache.key(3), cache.value(3), cache.stride(), positions),
              truth) == "");
  }
  return truth;
}

TEST_CASE("attention over 1..600 positions, head_dim 128 and 64") {
  // One cache of 600 positions read as its prefixes, as decoding does. q's
  // scale makes scores spread over tens of units, so that exp_c meets large
  // negative arguments.
  uint64_t seed = 200;
  for (int head_dim : {128, 64}) {
    const Cache cache = RandomCache(head_dim, 600, ++seed);
    for (int positions = 1; positions <= 600; ++positions) {
      CheckAttention(RandomF16Floats(head_dim, ++seed, -3, 1), cache, positions);
    }
  }
}

TEST_CASE("attention with head dims that leave tails") {
  uint64_t seed = 300;
  for (int head_dim : {1, 3, 8, 15, 17, 33, 72, 100, 200}) {
    const Cache cache = RandomCache(head_dim, 40, ++seed);
    for (int positions : {1, 2, 3, 4, 5, 15, 16, 17, 33, 40}) {
      CheckAttention(RandomF16Floats(head_dim, ++seed, -3, 1), cache, positions);
    }
  }
}

TEST_CASE("attention on adversarial data") {
  const int head_dim = 128;
  const int positions = 37;
  SECTION("all zero: uniform probabilities, zero output") {
    const Cache zeros{head_dim, positions, std::vector<uint16_t>(positions * 5 * head_dim, 0),
                      std::vector<uint16_t>(positions * 5 * head_dim, 0)};
    const AttentionSteps truth = CheckAttention(std::vector<float>(head_dim, 0.0f), zeros,
                                                positions);
    for (float o : truth.o) CHECK(std::bit_cast<uint32_t>(o) == 0u);
    for (float p : truth.p) CHECK(p == RoundToF16(1.0f / 37.0f));
  }
  SECTION("max-magnitude keys and query: one position takes all") {
    Cache cache = RandomCache(head_dim, positions, 400);
    for (uint16_t& k : cache.keys) k = (k & 0x8000u) | 0x7BFFu;
    std::vector<float> q(head_dim, 65504.0f);
    const AttentionSteps truth = CheckAttention(q, cache, positions);
    CHECK(truth.sum == 1.0f);
  }
  SECTION("a NaN key poisons the head") {
    Cache cache = RandomCache(head_dim, positions, 401);
    cache.keys[20 * cache.stride() + 3 * head_dim + 5] = 0x7E00;
    const AttentionSteps truth =
        CheckAttention(RandomF16Floats(head_dim, 402, -3, 1), cache, positions);
    CHECK(std::isnan(truth.max));
    for (float o : truth.o) CHECK(std::isnan(o));
  }
  SECTION("an Inf value reaches the output") {
    Cache cache = RandomCache(head_dim, positions, 403);
    cache.values[7 * cache.stride() + 3 * head_dim + 9] = 0x7C00;
    const AttentionSteps truth =
        CheckAttention(RandomF16Floats(head_dim, 404, -3, 1), cache, positions);
    CHECK(std::isinf(truth.o[9]));
  }
  SECTION("Inf in the query makes Inf - Inf scores") {
    const Cache cache = RandomCache(head_dim, positions, 405);
    std::vector<float> q = RandomF16Floats(head_dim, 406, -3, 1);
    q[0] = INFINITY;
    CheckAttention(q, cache, positions);
  }
}

TEST_CASE("weighted values of a group of query heads, across position blocks") {
  // As the engine calls it: the query heads that share a KV head in one call,
  // a slice of dimensions of their values; p and o with strides of their own,
  // whose gaps must stay untouched. Position counts around the AVX2 kernel's
  // blocks of 64, head counts around its 4 heads at a time.
  const float kGap = 12345.0f;
  uint64_t seed = 350;
  for (int dims : {1, 7, 8, 9, 16, 17, 32, 40, 128}) {
    for (int positions : {0, 1, 63, 64, 65, 130, 300}) {
      for (int heads : {1, 2, 3, 4, 5, 9}) {
        const size_t value_stride = dims + 5;
        const size_t p_stride = positions + 3;
        const size_t o_stride = dims + 2;
        const std::vector<float> p = RandomFloats(heads * p_stride, ++seed, -12, 0);
        std::vector<uint16_t> values = RandomF16((positions + 1) * value_stride, ++seed, -8, 1);
        if (positions > 40) values[40 * value_stride + dims / 2] = 0x7C00;  // Inf
        const auto run = [&](const Kernels& k) {
          std::vector<float> o(heads * o_stride, kGap);
          k.weighted_values(p.data(), p_stride, heads, values.data(), value_stride, positions, dims,
                            o.data(), o_stride);
          return o;
        };
        const std::vector<float> truth = run(Scalar());
        for (int g = 0; g < heads; ++g) CHECK(truth[g * o_stride + dims] == kGap);
        for (const Kernels* k : RunnableVariants()) {
          INFO(IsaName(k->isa) << ": " << heads << " heads, " << positions << " positions, "
                               << dims << " dims");
          CHECK(FirstDifference(run(*k), truth, static_cast<int>(o_stride), NanBits::kAny) == "");
        }
      }
    }
  }
}

TEST_CASE("max: first NaN, +0 above -0, -Inf, tails") {
  uint64_t seed = 500;
  for (int n : kLengths) {
    seed += 2;
    std::vector<std::vector<float>> inputs = {
        RandomFloats(n, seed, -10, 10), std::vector<float>(n, -INFINITY),
        std::vector<float>(n, -0.0f), WithSpecials(RandomFloats(n, seed + 1, -10, 10), seed)};
    std::vector<float> zeros(n, -0.0f);
    zeros[n / 2] = 0.0f;
    inputs.push_back(zeros);
    std::vector<float> two_nans = RandomFloats(n, ++seed, -10, 10);
    two_nans[n - 1] = std::bit_cast<float>(0x7FC00123u);
    two_nans[n / 3] = std::bit_cast<float>(0xFFC00456u);
    inputs.push_back(two_nans);
    for (const std::vector<float>& x : inputs) {
      const float truth = Scalar().max(x.data(), n);
      for (const Kernels* k : RunnableVariants()) {
        INFO(IsaName(k->isa) << ": n = " << n);
        CHECK(std::bit_cast<uint32_t>(k->max(x.data(), n)) == std::bit_cast<uint32_t>(truth));
      }
    }
  }
}

// ---- Element-wise ----------------------------------------------------------

// Inputs for the element-wise kernels: random values, random bit patterns
// (every class of float), and the special values.
std::vector<std::vector<float>> ElementwiseInputs(int n, uint64_t seed) {
  std::vector<float> bits(n);
  const std::vector<float> pattern = RandomFloats(n, seed, -126, 127);
  for (int i = 0; i < n; ++i) {
    bits[i] = std::bit_cast<float>(std::bit_cast<uint32_t>(pattern[i]) ^ (i * 0x9E3779B9u));
  }
  return {RandomFloats(n, seed + 1, -30, 17), bits,
          WithSpecials(RandomFloats(n, seed + 2, -30, 17), seed)};
}

TEST_CASE("squared relu times up, residual add") {
  uint64_t seed = 600;
  for (int n : kLengths) {
    for (const std::vector<float>& gate : ElementwiseInputs(n, seed += 3)) {
      for (const std::vector<float>& up : ElementwiseInputs(n, seed += 3)) {
        std::vector<float> relu_truth(n), add_truth = gate;
        Scalar().squared_relu_mul(gate.data(), up.data(), n, relu_truth.data());
        Scalar().add(add_truth.data(), up.data(), n);
        for (const Kernels* k : RunnableVariants()) {
          INFO(IsaName(k->isa) << ": n = " << n);
          std::vector<float> relu = gate;  // out aliases gate, as the engine may
          k->squared_relu_mul(relu.data(), up.data(), n, relu.data());
          CHECK(FirstDifference(relu, relu_truth, n, NanBits::kAny) == "");
          std::vector<float> sum = gate;
          k->add(sum.data(), up.data(), n);
          CHECK(FirstDifference(sum, add_truth, n, NanBits::kAny) == "");
        }
      }
    }
  }
}

TEST_CASE("f16 rounding and conversion, NaN bits included") {
  uint64_t seed = 700;
  std::vector<std::vector<float>> inputs;
  for (int n : kLengths) {
    for (const std::vector<float>& x : ElementwiseInputs(n, seed += 3)) inputs.push_back(x);
  }
  std::vector<float> every_f16(65536);  // as floats: rounding must keep them
  for (uint32_t h = 0; h < 65536; ++h) every_f16[h] = F16ToF32(static_cast<uint16_t>(h));
  inputs.push_back(every_f16);
  inputs.push_back(RandomFloats(1 << 20, ++seed, -30, 17));
  for (const std::vector<float>& x : inputs) {
    const int n = static_cast<int>(x.size());
    std::vector<float> rounded_truth(n);
    std::vector<uint16_t> f16_truth(n);
    Scalar().round_f16(x.data(), n, rounded_truth.data());
    Scalar().to_f16(x.data(), n, f16_truth.data());
    for (const Kernels* k : RunnableVariants()) {
      INFO(IsaName(k->isa) << ": n = " << n);
      std::vector<float> rounded = x;  // in place
      k->round_f16(rounded.data(), n, rounded.data());
      CHECK(FirstDifference(rounded, rounded_truth, n) == "");
      std::vector<uint16_t> f16(n);
      k->to_f16(x.data(), n, f16.data());
      CHECK(FirstDifferenceU16(f16, f16_truth) == "");
    }
  }
}

TEST_CASE("scale and round probabilities") {
  uint64_t seed = 800;
  for (int n : kLengths) {
    for (const std::vector<float>& e : ElementwiseInputs(n, seed += 3)) {
      for (float inv : {1.0f, 1.0f / 3.0f, 1e-30f, 3e30f, INFINITY, 0.0f}) {
        std::vector<float> truth(n);
        Scalar().scale_round_f16(e.data(), n, inv, truth.data());
        for (const Kernels* k : RunnableVariants()) {
          INFO(IsaName(k->isa) << ": n = " << n << ", inv = " << inv);
          std::vector<float> p = e;  // in place
          k->scale_round_f16(p.data(), n, inv, p.data());
          CHECK(FirstDifference(p, truth, n, NanBits::kAny) == "");
        }
      }
    }
  }
}

}  // namespace
}  // namespace bitbrain::conformance
