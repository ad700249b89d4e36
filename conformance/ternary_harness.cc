#include "conformance/ternary_harness.h"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>

#include "kernels/formats/i2s.h"

namespace bitbrain::conformance {

TernaryWeights MakeWeights(int rows, int cols, WeightFill fill, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> ternary(-1, 1);
  std::vector<int8_t> values(static_cast<size_t>(rows) * cols);
  for (int8_t& v : values) {
    switch (fill) {
      case WeightFill::kRandom:
        v = static_cast<int8_t>(ternary(rng));
        break;
      case WeightFill::kAllMinusOne:
        v = -1;
        break;
      case WeightFill::kAllPlusOne:
        v = 1;
        break;
      case WeightFill::kAllZero:
        v = 0;
        break;
    }
  }
  TernaryWeights w{rows, cols, std::vector<uint8_t>(i2s::TensorBytes(values.size())),
                   std::uniform_real_distribution<float>(0.5f, 3.0f)(rng)};
  i2s::Pack(values, w.scale, w.i2s);
  return w;
}

std::vector<float> RandomActivations(int tokens, int cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> exponent(-6.0f, 4.0f);
  std::uniform_int_distribution<int> position(0, cols - 1);
  std::vector<float> x(static_cast<size_t>(tokens) * cols);
  for (int t = 0; t < tokens; ++t) {
    float* token = x.data() + static_cast<size_t>(t) * cols;
    const float magnitude = std::pow(10.0f, exponent(rng));
    for (int i = 0; i < cols; ++i) token[i] = normal(rng) * magnitude;
    for (int outlier = 0; outlier < 4; ++outlier) token[position(rng)] *= 30.0f;
  }
  return x;
}

QuantizedToken SpecQuantize(const float* x, int cols) {
  bool any_nan = false;
  bool any_inf = false;
  double amax = 0;
  for (int i = 0; i < cols; ++i) {
    if (std::isnan(x[i])) {
      any_nan = true;
    } else if (std::isinf(x[i])) {
      any_inf = true;
    } else {
      amax = std::fmax(amax, std::fabs(static_cast<double>(x[i])));
    }
  }
  QuantizedToken out{std::vector<int8_t>(cols, 0), 0, 0};
  if (any_nan || any_inf) {
    const double poisoned = any_nan ? std::fabs(static_cast<double>(NAN)) : INFINITY;
    out.scale = static_cast<float>(127.0 / poisoned);
    return out;
  }
  out.scale = static_cast<float>(127.0 / std::fmax(amax, 1e-5));
  for (int i = 0; i < cols; ++i) {
    const float product = x[i] * out.scale;
    const float rounded = std::nearbyint(product);  // default mode: half to even
    out.q[i] = static_cast<int8_t>(std::fmin(std::fmax(rounded, -128.0f), 127.0f));
    out.q_sum += out.q[i];
  }
  return out;
}

std::vector<float> SpecTernaryMatmul(const TernaryWeights& w, const std::vector<float>& x,
                                     int tokens) {
  std::vector<float> y(static_cast<size_t>(tokens) * w.rows);
  for (int t = 0; t < tokens; ++t) {
    const QuantizedToken token = SpecQuantize(x.data() + static_cast<size_t>(t) * w.cols, w.cols);
    for (int r = 0; r < w.rows; ++r) {
      int32_t acc = 0;
      for (int i = 0; i < w.cols; ++i) {
        acc += i2s::Get(w.i2s.data(), static_cast<size_t>(r) * w.cols + i) * token.q[i];
      }
      y[static_cast<size_t>(t) * w.rows + r] = (static_cast<float>(acc) / token.scale) * w.scale;
    }
  }
  return y;
}

std::string TernaryVariant::Name() const {
  return std::string(kernels::IsaName(kernels->isa)) + "/" + kernels::TernaryLayoutName(layout);
}

std::vector<uint8_t> PackFor(const TernaryVariant& v, const TernaryWeights& w) {
  std::vector<uint8_t> packed(v.matmul().packed_bytes(w.rows, w.cols));
  v.matmul().pack(w.i2s.data(), w.rows, w.cols, packed.data());
  return packed;
}

std::vector<float> RunTernaryMatmul(const TernaryVariant& v, kernels::ThreadPool& pool,
                                    const TernaryWeights& w, const std::vector<uint8_t>& packed,
                                    const std::vector<float>& x, int tokens) {
  const kernels::Kernels& k = *v.kernels;
  const kernels::TernaryMatmul& matmul = v.matmul();
  std::vector<int8_t> q(static_cast<size_t>(tokens) * w.cols);
  std::vector<float> scale(tokens);
  std::vector<int32_t> q_sum(tokens);
  for (int t = 0; t < tokens; ++t) {
    k.quantize_activations(x.data() + static_cast<size_t>(t) * w.cols, w.cols,
                           q.data() + static_cast<size_t>(t) * w.cols, &scale[t], &q_sum[t]);
  }
  const kernels::QuantizedActivations activations{q.data(), static_cast<size_t>(w.cols),
                                                  scale.data(), q_sum.data(), tokens};
  std::vector<float> y(static_cast<size_t>(tokens) * w.rows);
  pool.ParallelRows(w.rows, matmul.row_tile, [&](int begin, int end) {
    matmul.matmul(packed.data(), w.rows, w.cols, w.scale, activations, begin, end, y.data(),
                  static_cast<size_t>(w.rows));
  });
  return y;
}

kernels::ThreadPool& Pool(int threads) {
  static std::map<int, std::unique_ptr<kernels::ThreadPool>> pools;
  std::unique_ptr<kernels::ThreadPool>& pool = pools[threads];
  if (!pool) pool = std::make_unique<kernels::ThreadPool>(threads);
  return *pool;
}

std::vector<const kernels::Kernels*> RunnableVariants() {
  std::vector<const kernels::Kernels*> variants;
  for (kernels::Isa isa : kernels::SupportedIsas()) variants.push_back(&kernels::KernelsFor(isa));
  return variants;
}

std::vector<TernaryVariant> RunnableTernaryVariants() {
  std::vector<TernaryVariant> variants;
  for (const kernels::Kernels* k : RunnableVariants()) {
    for (kernels::TernaryLayout layout : kernels::kTernaryLayouts) variants.push_back({k, layout});
  }
  return variants;
}

std::string FirstDifference(const std::vector<float>& a, const std::vector<float>& b, int rows,
                            NanBits nans) {
  if (a.size() != b.size()) return "sizes differ";
  for (size_t i = 0; i < a.size(); ++i) {
    if (nans == NanBits::kAny && std::isnan(a[i]) && std::isnan(b[i])) continue;
    if (std::bit_cast<uint32_t>(a[i]) != std::bit_cast<uint32_t>(b[i])) {
      char text[160];
      std::snprintf(text, sizeof text, "token %zu row %zu: %.9g (0x%08x) vs %.9g (0x%08x)",
                    i / rows, i % rows, a[i], std::bit_cast<uint32_t>(a[i]), b[i],
                    std::bit_cast<uint32_t>(b[i]));
      return text;
    }
  }
  return "";
}

}  // namespace bitbrain::conformance
