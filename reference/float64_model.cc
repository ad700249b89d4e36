#include "reference/float64_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "engine/model/bitnet_model.h"
#include "kernels/formats/f16.h"
#include "kernels/formats/i2s.h"
#include "reference/numerics.h"

namespace bitbrain::reference {
namespace {

using Eigen::Index;

std::span<double> Row(Matrix64& m, Index r) {
  return {m.data() + r * m.cols(), static_cast<size_t>(m.cols())};
}
std::span<const float> Row(const Matrix& m, Index r) {
  return {m.data() + r * m.cols(), static_cast<size_t>(m.cols())};
}

std::vector<double> F32Values(const gguf::TensorInfo& t) {
  std::vector<float> values(t.n_elements);
  std::memcpy(values.data(), t.data, values.size() * sizeof(float));
  return {values.begin(), values.end()};
}

double F16Value(const gguf::TensorInfo& t, size_t i) {
  uint16_t h;
  std::memcpy(&h, t.data + 2 * i, sizeof h);
  return F16ToF32(h);
}

double MaxAbs(std::span<const double> x) {
  double m = 0;
  for (double v : x) m = std::max(m, std::fabs(v));
  return m;
}

// Follows the contract's f16 values for x, recording the agreement.
void FollowF16(std::span<double> x, std::span<const float> contract, RoundingAgreement& a) {
  const double scale = MaxAbs(x);
  for (size_t i = 0; i < x.size(); ++i) {
    const double own = RoundF64ToF16(x[i]);
    ++a.f16_values;
    if (own != contract[i]) {
      ++a.f16_disagreements;
      const double boundary = (own + contract[i]) / 2;  // for neighbouring f16 values
      a.max_f16_excess = std::max(a.max_f16_excess, std::fabs(x[i] - boundary) / scale);
    }
    x[i] = contract[i];
  }
}

// The same for every segment of `width` columns of every row.
void FollowF16(Matrix64& m, const Matrix& contract, int width, RoundingAgreement& a) {
  for (Index t = 0; t < m.rows(); ++t) {
    for (Index first = 0; first < m.cols(); first += width) {
      FollowF16(Row(m, t).subspan(first, width), Row(contract, t).subspan(first, width), a);
    }
  }
}

Matrix64 RmsNorm(const Matrix64& x, const gguf::TensorInfo& weight, double eps) {
  const std::vector<double> w = F32Values(weight);
  Matrix64 y(x.rows(), x.cols());
  for (Index t = 0; t < x.rows(); ++t) {
    const double inv = 1.0 / std::sqrt(x.row(t).squaredNorm() / x.cols() + eps);
    for (Index i = 0; i < x.cols(); ++i) y(t, i) = x(t, i) * inv * w[i];
  }
  return y;
}

// BitLinear with the contract's integers (quantized from its f32 input rows)
// and this pass's own f64 scale s = 127 / amax.
Matrix64 BitLinear(const Matrix64& x, const gguf::TensorInfo& weight, const Matrix& contract_input,
                   RoundingAgreement& a) {
  using IntMatrix = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Index cols = static_cast<Index>(weight.ne[0]), rows = static_cast<Index>(weight.ne[1]);
  std::vector<int8_t> ternary(weight.n_elements);
  i2s::Unpack(weight.data, ternary);
  const IntMatrix w =
      Eigen::Map<const Eigen::Matrix<int8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
          ternary.data(), rows, cols)
          .cast<int32_t>();

  IntMatrix q(x.rows(), cols);
  std::vector<double> scale(x.rows());
  for (Index t = 0; t < x.rows(); ++t) {
    const QuantizedActivations contract = QuantizeActivations(Row(contract_input, t));
    scale[t] = 127.0 / std::max(x.row(t).cwiseAbs().maxCoeff(), 1e-5);
    for (Index i = 0; i < cols; ++i) {
      const double scaled = x(t, i) * scale[t];
      const double own = std::clamp(std::nearbyint(scaled), -128.0, 127.0);
      ++a.quantized_values;
      if (own != contract.q[i]) {
        ++a.quantization_disagreements;
        const double boundary = (own + contract.q[i]) / 2;
        a.max_quantization_excess =
            std::max(a.max_quantization_excess, std::fabs(scaled - boundary) / 127);
      }
      q(t, i) = contract.q[i];
    }
  }
  const IntMatrix acc = q * w.transpose();  // exact
  const double w_scale = i2s::Scale(weight.data, weight.n_elements);
  Matrix64 y(x.rows(), rows);
  for (Index t = 0; t < y.rows(); ++t) {
    for (Index r = 0; r < rows; ++r) y(t, r) = acc(t, r) / scale[t] * w_scale;
  }
  return y;
}

// NEOX RoPE of every head; row t is at position t.
void Rope(Matrix64& m, int head_dim, double freq_base) {
  const int half = head_dim / 2;
  for (Index t = 0; t < m.rows(); ++t) {
    for (Index head = 0; head < m.cols() / head_dim; ++head) {
      double* x = m.data() + t * m.cols() + head * head_dim;
      for (int i = 0; i < half; ++i) {
        const double angle = t * std::pow(freq_base, -2.0 * i / head_dim);
        const double x0 = x[i], x1 = x[i + half];
        x[i] = x0 * std::cos(angle) - x1 * std::sin(angle);
        x[i + half] = x0 * std::sin(angle) + x1 * std::cos(angle);
      }
    }
  }
}

// Causal attention of every token (row t at position t) and head.
Matrix64 Attention(const Matrix64& q, const Matrix64& k, const Matrix64& v, const ModelConfig& c,
                   const Matrix* contract_probabilities, RoundingAgreement& a) {
  const int head_dim = c.head_dim, group = c.head_count / c.head_count_kv;
  Matrix64 out = Matrix64::Zero(q.rows(), q.cols());
  for (Index t = 0; t < q.rows(); ++t) {
    for (int head = 0; head < c.head_count; ++head) {
      const Index kv = static_cast<Index>(head / group) * head_dim;
      std::vector<double> p(t + 1);
      for (Index j = 0; j <= t; ++j) {
        p[j] = q.row(t).segment(head * head_dim, head_dim).dot(k.row(j).segment(kv, head_dim)) /
               std::sqrt(static_cast<double>(head_dim));
      }
      const double m = *std::max_element(p.begin(), p.end());
      double sum = 0;
      for (double& pj : p) sum += (pj = std::exp(pj - m));
      for (double& pj : p) pj /= sum;
      if (contract_probabilities != nullptr) {
        FollowF16(p, Row(*contract_probabilities, t * c.head_count + head).first(t + 1), a);
      }
      for (Index j = 0; j <= t; ++j) {
        out.row(t).segment(head * head_dim, head_dim) += p[j] * v.row(j).segment(kv, head_dim);
      }
    }
  }
  return out;
}

void CheckTrace(const Trace& contract, const ModelConfig& c, size_t tokens) {
  bool ok = contract.layers.size() == static_cast<size_t>(c.block_count) &&
            contract.head_input.rows() == static_cast<Index>(tokens);
  for (const LayerTrace& l : contract.layers) {
    ok = ok && l.attn_norm.rows() == static_cast<Index>(tokens) &&
         l.probabilities.cols() == static_cast<Index>(tokens);
  }
  if (!ok) {
    throw std::invalid_argument(
        "EvaluateFloat64: the trace is not that of Forward(tokens, Logits::kAll) from position 0");
  }
}

}  // namespace

double RoundF64ToF16(double x) {
  if (!std::isfinite(x) || x == 0) return x;
  int exponent;
  std::frexp(x, &exponent);  // |x| in [2^(exponent-1), 2^exponent)
  // 11 significant bits; below 2^-14 the f16 subnormals' fixed step 2^-24.
  const int step = std::max(exponent - 11, -24);
  const double rounded = std::ldexp(std::nearbyint(std::ldexp(x, -step)), step);
  return std::fabs(rounded) > 65504.0 ? std::copysign(INFINITY, x) : rounded;
}

Float64Result EvaluateFloat64(const gguf::File& file, std::span<const int32_t> tokens,
                              const Trace& contract, const Float64Options& options) {
  const BitnetModel model = BitnetModel::FromFile(file);
  const ModelConfig& c = model.config;
  CheckTrace(contract, c, tokens.size());
  const double eps = c.rms_epsilon;
  const int hidden = c.embedding_length;
  Float64Result result;
  RoundingAgreement& a = result.agreement;

  Matrix64 x(static_cast<Index>(tokens.size()), hidden);
  for (Index t = 0; t < x.rows(); ++t) {
    for (int i = 0; i < hidden; ++i) {
      x(t, i) = F16Value(*model.tensors.token_embd, static_cast<size_t>(tokens[t]) * hidden + i);
    }
  }
  for (int l = 0; l < c.block_count; ++l) {
    const LayerTensors& w = model.tensors.layers[l];
    const LayerTrace& trace = contract.layers[l];
    const Matrix64 h = RmsNorm(x, *w.attn_norm, eps);
    Matrix64 q = BitLinear(h, *w.attn_q, trace.attn_norm, a);
    Matrix64 k = BitLinear(h, *w.attn_k, trace.attn_norm, a);
    Matrix64 v = BitLinear(h, *w.attn_v, trace.attn_norm, a);
    Rope(q, c.head_dim, c.rope_freq_base);
    Rope(k, c.head_dim, c.rope_freq_base);
    if (options.f16_rounding_points) {
      FollowF16(q, trace.q, c.head_dim, a);
      FollowF16(k, trace.k, c.head_dim, a);
      FollowF16(v, trace.v, c.head_dim, a);
    }
    const Matrix64 attention =
        Attention(q, k, v, c, options.f16_rounding_points ? &trace.probabilities : nullptr, a);
    const Matrix64 o = RmsNorm(attention, *w.attn_sub_norm, eps);
    x += BitLinear(o, *w.attn_output, trace.attn_sub_norm, a);

    const Matrix64 h2 = RmsNorm(x, *w.ffn_norm, eps);
    const Matrix64 gate = BitLinear(h2, *w.ffn_gate, trace.ffn_norm, a);
    const Matrix64 up = BitLinear(h2, *w.ffn_up, trace.ffn_norm, a);
    const Matrix64 gated = gate.cwiseMax(0.0).cwiseAbs2().cwiseProduct(up);
    const Matrix64 f = RmsNorm(gated, *w.ffn_sub_norm, eps);
    x += BitLinear(f, *w.ffn_down, trace.ffn_sub_norm, a);
  }

  Matrix64 hn = RmsNorm(x, *model.tensors.output_norm, eps);
  if (options.f16_rounding_points) FollowF16(hn, contract.head_input, hidden, a);
  result.logits.resize(hn.rows(), c.vocab_size);
  Eigen::VectorXd embedding(hidden);
  for (int v = 0; v < c.vocab_size; ++v) {
    for (int i = 0; i < hidden; ++i) {
      embedding[i] = F16Value(*model.tensors.output, static_cast<size_t>(v) * hidden + i);
    }
    result.logits.col(v) = hn * embedding;
  }
  return result;
}

}  // namespace bitbrain::reference
