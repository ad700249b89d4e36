#include "reference/numerics.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace bitbrain::reference {
namespace {

constexpr size_t kLanes = 16;

// Inputs are processed as if padded with +0 to a multiple of 16 (1.1).
size_t PaddedLength(size_t n) { return (n + kLanes - 1) / kLanes * kLanes; }

// The pairwise tree of 1.1: lanes l and l + w for w = 8, 4, 2, 1.
float LaneTree(std::array<float, kLanes> acc) {
  for (size_t w = kLanes / 2; w >= 1; w /= 2) {
    for (size_t l = 0; l < w; ++l) acc[l] = acc[l] + acc[l + w];
  }
  return acc[0];
}

}  // namespace

float Sum16(std::span<const float> a) {
  std::array<float, kLanes> acc;
  acc.fill(+0.0f);
  for (size_t i = 0; i < PaddedLength(a.size()); ++i) {
    const float ai = i < a.size() ? a[i] : +0.0f;
    acc[i % kLanes] = acc[i % kLanes] + ai;
  }
  return LaneTree(acc);
}

float Dot16(std::span<const float> a, std::span<const float> b) {
  if (a.size() != b.size()) throw std::invalid_argument("Dot16: vectors of different lengths");
  std::array<float, kLanes> acc;
  acc.fill(+0.0f);
  for (size_t i = 0; i < PaddedLength(a.size()); ++i) {
    const float ai = i < a.size() ? a[i] : +0.0f;
    const float bi = i < b.size() ? b[i] : +0.0f;
    acc[i % kLanes] = std::fma(ai, bi, acc[i % kLanes]);
  }
  return LaneTree(acc);
}

float SumSq16(std::span<const float> x) { return Dot16(x, x); }

float ExpC(float x) {
  if (std::isnan(x)) return x;
  if (x > 88.37626f) return std::numeric_limits<float>::infinity();
  if (x < -87.33654f) return +0.0f;
  const float n = std::rint(x * 1.44269504f);  // -126 <= n <= 127
  float r = std::fma(n, -0.693359375f, x);
  r = std::fma(n, 2.12194440e-4f, r);
  float p = 1.9875691500e-4f;
  p = std::fma(p, r, 1.3981999507e-3f);
  p = std::fma(p, r, 8.3334519073e-3f);
  p = std::fma(p, r, 4.1665795894e-2f);
  p = std::fma(p, r, 1.6666665459e-1f);
  p = std::fma(p, r, 5.0000001201e-1f);
  const float r2 = r * r;
  p = std::fma(p, r2, r);
  p = p + 1.0f;
  const float two_to_n = std::bit_cast<float>(static_cast<uint32_t>(static_cast<int>(n) + 127) << 23);
  return p * two_to_n;
}

RopeCosSin RopeTableEntry(int pos, int i, int head_dim, float freq_base) {
  const double freq = std::pow(static_cast<double>(freq_base), -2.0 * i / head_dim);
  const double angle = static_cast<double>(pos) * freq;
  return {static_cast<float>(std::cos(angle)), static_cast<float>(std::sin(angle))};
}

void RopeNeox(std::span<float> head, int pos, float freq_base) {
  const int head_dim = static_cast<int>(head.size());
  const int half = head_dim / 2;
  for (int i = 0; i < half; ++i) {
    const RopeCosSin t = RopeTableEntry(pos, i, head_dim, freq_base);
    const float x0 = head[i];
    const float x1 = head[i + half];
    head[i] = (x0 * t.cos) - (x1 * t.sin);
    head[i + half] = (x0 * t.sin) + (x1 * t.cos);
  }
}

void RmsNorm(std::span<const float> x, std::span<const float> w, float eps, std::span<float> y) {
  if (w.size() != x.size() || y.size() != x.size()) {
    throw std::invalid_argument("RmsNorm: vectors of different lengths");
  }
  const float mean = SumSq16(x) / static_cast<float>(x.size());
  const float inv = 1.0f / std::sqrt(mean + eps);
  for (size_t i = 0; i < x.size(); ++i) y[i] = (x[i] * inv) * w[i];
}

QuantizedActivations QuantizeActivations(std::span<const float> x) {
  float amax = 0.0f;
  for (float v : x) {
    if (std::isnan(v)) {
      amax = v;
      break;
    }
    amax = std::max(amax, std::fabs(v));
  }
  QuantizedActivations out;
  out.q.assign(x.size(), 0);
  if (!std::isfinite(amax)) {
    // A NaN or Inf poisons the token: q = 0 and s NaN (amax NaN) or 0
    // (amax Inf), so every output (0 / s) * w_scale is NaN.
    out.scale = static_cast<float>(127.0 / static_cast<double>(amax));
    return out;
  }
  out.scale = static_cast<float>(127.0 / std::max(static_cast<double>(amax), 1e-5));
  for (size_t i = 0; i < x.size(); ++i) {
    const float scaled = std::rint(x[i] * out.scale);  // round half to even
    out.q[i] = static_cast<int8_t>(std::clamp(scaled, -128.0f, 127.0f));
  }
  return out;
}

float Rescale(int32_t acc, float scale, float weight_scale) {
  return (static_cast<float>(acc) / scale) * weight_scale;
}

float MaxPropagatingNaN(std::span<const float> x) {
  if (x.empty()) throw std::invalid_argument("MaxPropagatingNaN: empty vector");
  float m = x[0];
  for (float v : x) {
    if (std::isnan(v)) return v;
    m = std::max(m, v);
  }
  return m;
}

std::vector<float> Softmax(std::span<const float> x) {
  const float m = MaxPropagatingNaN(x);
  std::vector<float> e(x.size());
  for (size_t j = 0; j < x.size(); ++j) e[j] = ExpC(x[j] - m);
  const float inv = 1.0f / Sum16(e);
  for (float& p : e) p = p * inv;
  return e;
}

float SquaredReluGate(float gate, float up) {
  const float r = std::isnan(gate) ? gate : (gate > 0.0f ? gate : +0.0f);
  return (r * r) * up;
}

}  // namespace bitbrain::reference
