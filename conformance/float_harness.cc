#include "conformance/float_harness.h"

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdio>

#include "conformance/ternary_harness.h"
#include "kernels/formats/f16.h"

namespace bitbrain::conformance {
namespace {

// splitmix64: fast enough for the 328 million values of the full LM head.
uint64_t Next(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

}  // namespace

std::vector<float> RandomFloats(size_t n, uint64_t seed, int min_exponent, int max_exponent) {
  const uint64_t span = static_cast<uint64_t>(max_exponent - min_exponent + 1);
  std::vector<float> x(n);
  for (float& v : x) {
    const uint64_t r = Next(seed);
    const uint32_t exponent = static_cast<uint32_t>(min_exponent + 127 + (r >> 32) % span);
    v = std::bit_cast<float>(static_cast<uint32_t>(r & 0x807FFFFFu) | exponent << 23);
  }
  return x;
}

std::vector<uint16_t> RandomF16(size_t n, uint64_t seed, int min_exponent, int max_exponent) {
  const uint64_t span = static_cast<uint64_t>(max_exponent - min_exponent + 1);
  std::vector<uint16_t> x(n);
  for (uint16_t& v : x) {
    const uint64_t r = Next(seed);
    const uint32_t exponent = static_cast<uint32_t>(min_exponent + 15 + (r >> 32) % span);
    v = static_cast<uint16_t>((r & 0x83FFu) | exponent << 10);
  }
  return x;
}

std::vector<float> RandomF16Floats(size_t n, uint64_t seed, int min_exponent, int max_exponent) {
  std::vector<float> x(n);
  const std::vector<uint16_t> h = RandomF16(n, seed, min_exponent, max_exponent);
  for (size_t i = 0; i < n; ++i) x[i] = F16ToF32(h[i]);
  return x;
}

std::vector<float> SpecialFloats() {
  std::vector<float> x;
  for (float magnitude :
       {0.0f, INFINITY, FLT_MAX, FLT_MIN, FLT_TRUE_MIN, FLT_MIN - FLT_TRUE_MIN, 1.0f,
        65504.0f,                                     // f16 max
        65519.996f, 65520.0f,                         // f16 overflow threshold
        6.1035156e-05f,                               // f16 min normal
        5.9604645e-08f, 2.9802322e-08f, 2.9802326e-08f,  // f16 min subnormal, half of it
        88.37626f, 87.33654f, 88.72284f, 87.3f, 88.0f, 1e-30f, 3.0e38f}) {
    for (float sign : {1.0f, -1.0f}) {
      x.push_back(sign * magnitude);
      x.push_back(std::nextafter(sign * magnitude, 0.0f));
      x.push_back(std::nextafter(sign * magnitude, sign * INFINITY));
    }
  }
  for (uint32_t nan : {0x7FC00000u, 0xFFC00000u, 0x7FC00001u, 0x7FA00000u, 0x7F800001u,
                       0xFFFFFFFFu, 0x7FFFE000u, 0xFF801234u}) {
    x.push_back(std::bit_cast<float>(nan));
  }
  return x;
}

std::string FirstDifferenceU16(const std::vector<uint16_t>& a, const std::vector<uint16_t>& b) {
  if (a.size() != b.size()) return "sizes differ";
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      char text[80];
      std::snprintf(text, sizeof text, "element %zu: 0x%04x vs 0x%04x", i, a[i], b[i]);
      return text;
    }
  }
  return "";
}

std::vector<float> RunHeadMatmul(const kernels::Kernels& k, kernels::ThreadPool& pool,
                                 const std::vector<uint16_t>& embeddings, int rows, int cols,
                                 const float* hn, int tokens) {
  std::vector<float> logits(static_cast<size_t>(tokens) * rows);
  pool.ParallelRows(rows, 1, [&](int begin, int end) {
    k.head_matmul(embeddings.data(), cols, hn, static_cast<size_t>(cols), tokens, begin, end,
                  logits.data(), static_cast<size_t>(rows));
  });
  return logits;
}

AttentionSteps RunAttention(const kernels::Kernels& k, const std::vector<float>& q,
                            const uint16_t* keys, const uint16_t* values, size_t stride,
                            int positions) {
  const int head_dim = static_cast<int>(q.size());
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  AttentionSteps s;
  s.scores.resize(positions);
  k.attention_scores(q.data(), keys, stride, positions, head_dim, scale, s.scores.data());
  s.max = k.max(s.scores.data(), positions);
  s.e.resize(positions);
  s.sum = k.exp_sum(s.scores.data(), positions, s.max, s.e.data());
  s.p.resize(positions);
  k.scale_round_f16(s.e.data(), positions, 1.0f / s.sum, s.p.data());
  s.o.resize(head_dim);
  k.weighted_values(s.p.data(), positions, 1, values, stride, positions, head_dim, s.o.data(),
                    head_dim);
  return s;
}

std::string FirstDifference(const AttentionSteps& a, const AttentionSteps& b) {
  const struct {
    const char* name;
    std::vector<float> a, b;
  } steps[] = {{"scores", a.scores, b.scores}, {"max", {a.max}, {b.max}}, {"e", a.e, b.e},
               {"sum", {a.sum}, {b.sum}},      {"p", a.p, b.p},         {"o", a.o, b.o}};
  for (const auto& step : steps) {
    const std::string difference =
        conformance::FirstDifference(step.a, step.b, static_cast<int>(step.a.size()),
                                     NanBits::kAny);
    if (!difference.empty()) return std::string(step.name) + ": " + difference;
  }
  return "";
}

}  // namespace bitbrain::conformance
