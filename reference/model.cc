#include "reference/model.h"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/formats/f16.h"
#include "kernels/formats/i2s.h"
#include "reference/numerics.h"

namespace bitbrain::reference {
namespace {

using Eigen::Index;

std::span<const float> Row(const Matrix& m, Index r) {
  return {m.data() + r * m.cols(), static_cast<size_t>(m.cols())};
}
std::span<float> Row(Matrix& m, Index r) {
  return {m.data() + r * m.cols(), static_cast<size_t>(m.cols())};
}

// The values of an F32 tensor (norm weights).
std::vector<float> F32Values(const gguf::TensorInfo& t) {
  std::vector<float> values(t.n_elements);
  std::memcpy(values.data(), t.data, values.size() * sizeof(float));
  return values;
}

// Element i of an F16 tensor, as f32 (exact).
float F16Value(const gguf::TensorInfo& t, size_t i) {
  uint16_t h;
  std::memcpy(&h, t.data + 2 * i, sizeof h);
  return F16ToF32(h);
}

// Unpacks a ternary tensor into `buffer` as floats -1, 0, +1 and returns it
// as a [outputs x inputs] matrix over the buffer. The buffer is reused from
// call to call (it grows to the largest matrix once), so the weights of only
// one matrix are ever unpacked.
Eigen::Map<const Matrix> UnpackTernary(const gguf::TensorInfo& t, std::vector<float>& buffer) {
  const size_t n = t.n_elements;
  if (const long at = i2s::FindInvalidCode(t.data, n); at >= 0) {
    throw gguf::GgufError("tensor '" + t.name + "': invalid I2_S code 3 in byte " +
                          std::to_string(at) + " of its data");
  }
  buffer.resize(n);
  for (size_t j = 0; j < n; ++j) buffer[j] = i2s::Get(t.data, j);  // row-major
  return {buffer.data(), static_cast<Index>(t.ne[1]), static_cast<Index>(t.ne[0])};
}

// Ternary products are exact in float while every partial sum is an integer
// below 2^24 in magnitude: |sum| <= columns * 128 (|q| <= 128).
constexpr int kMaxExactColumns = (1 << 24) / 128;

// BitLinear (NUMERICS.md 2.3) of every row of x.
Matrix BitLinear(const Matrix& x, const gguf::TensorInfo& weight, std::vector<float>& buffer) {
  const Eigen::Map<const Matrix> w = UnpackTernary(weight, buffer);
  const float w_scale = i2s::Scale(weight.data, weight.n_elements);
  Matrix q(x.rows(), x.cols());
  std::vector<float> scale(x.rows());
  for (Index t = 0; t < x.rows(); ++t) {
    const QuantizedActivations qa = QuantizeActivations(Row(x, t));
    for (Index i = 0; i < x.cols(); ++i) q(t, i) = qa.q[i];
    scale[t] = qa.scale;
  }
  // Integers times -1/0/+1 with partial sums below 2^24: exact in any order,
  // so Eigen's product gives the exact integer dot products.
  const Matrix acc = q * w.transpose();
  Matrix y(x.rows(), w.rows());
  for (Index t = 0; t < y.rows(); ++t) {
    for (Index r = 0; r < y.cols(); ++r) {
      y(t, r) = Rescale(static_cast<int32_t>(acc(t, r)), scale[t], w_scale);
    }
  }
  return y;
}

// RMSNorm (2.2) of every row of x with an F32 weight tensor.
Matrix RmsNormRows(const Matrix& x, const gguf::TensorInfo& weight, float eps) {
  const std::vector<float> w = F32Values(weight);
  Matrix y(x.rows(), x.cols());
  for (Index t = 0; t < x.rows(); ++t) RmsNorm(Row(x, t), w, eps, Row(y, t));
  return y;
}

void RoundToF16InPlace(Matrix& m) {
  for (Index i = 0; i < m.size(); ++i) m.data()[i] = RoundToF16(m.data()[i]);
}

// RoPE (1.4) of every head of every row; row t is at position first_pos + t.
void RopeRows(Matrix& m, int head_dim, int first_pos, float freq_base) {
  for (Index t = 0; t < m.rows(); ++t) {
    for (Index head = 0; head < m.cols() / head_dim; ++head) {
      RopeNeox(Row(m, t).subspan(head * head_dim, head_dim), first_pos + static_cast<int>(t),
               freq_base);
    }
  }
}

}  // namespace

ReferenceModel::ReferenceModel(const gguf::File& file)
    : file_(file), model_(BitnetModel::FromFile(file)) {
  const ModelConfig& c = model_.config;
  if (c.embedding_length > kMaxExactColumns || c.feed_forward_length > kMaxExactColumns) {
    throw gguf::GgufError(file_.path() + ": layers wider than " +
                          std::to_string(kMaxExactColumns) +
                          " inputs are not supported (ternary sums would exceed 2^24)");
  }
  keys_.resize(c.block_count);
  values_.resize(c.block_count);
}

void ReferenceModel::Reset() {
  position_ = 0;
  for (auto& k : keys_) k.clear();
  for (auto& v : values_) v.clear();
}

Matrix ReferenceModel::Forward(std::span<const int32_t> tokens, Logits which, Trace* trace) {
  const ModelConfig& c = config();
  if (tokens.empty()) throw std::invalid_argument("Forward: no tokens");
  for (int32_t token : tokens) {
    if (token < 0 || token >= c.vocab_size) {
      throw std::invalid_argument("Forward: token id " + std::to_string(token) +
                                  " is outside the vocabulary [0, " +
                                  std::to_string(c.vocab_size) + ")");
    }
  }
  if (static_cast<int64_t>(position_) + static_cast<int64_t>(tokens.size()) > c.context_length) {
    throw std::invalid_argument("Forward: " + std::to_string(position_ + tokens.size()) +
                                " tokens exceed the context length " +
                                std::to_string(c.context_length));
  }
  if (trace != nullptr) trace->layers.assign(c.block_count, LayerTrace{});
  Matrix x = Embed(tokens);
  try {
    for (int layer = 0; layer < c.block_count; ++layer) {
      RunLayer(layer, x, trace != nullptr ? &trace->layers[layer] : nullptr);
    }
  } catch (...) {
    // Leave the cache as it was before the call.
    const size_t kept = static_cast<size_t>(position_) * c.head_dim * c.head_count_kv;
    for (auto& k : keys_) k.resize(std::min(k.size(), kept));
    for (auto& v : values_) v.resize(std::min(v.size(), kept));
    throw;
  }
  position_ += static_cast<int>(tokens.size());
  return Head(x, which, trace);
}

Matrix ReferenceModel::Embed(std::span<const int32_t> tokens) const {
  const int hidden = config().embedding_length;
  Matrix x(static_cast<Index>(tokens.size()), hidden);
  for (size_t t = 0; t < tokens.size(); ++t) {
    for (int i = 0; i < hidden; ++i) {
      x(t, i) = F16Value(*model_.tensors.token_embd, static_cast<size_t>(tokens[t]) * hidden + i);
    }
  }
  return x;
}

void ReferenceModel::RunLayer(int layer, Matrix& x, LayerTrace* trace) {
  const ModelConfig& c = config();
  const LayerTensors& w = model_.tensors.layers[layer];
  const float eps = c.rms_epsilon;

  // Attention block: sub-norm before the output projection.
  const Matrix h = RmsNormRows(x, *w.attn_norm, eps);
  Matrix q = BitLinear(h, *w.attn_q, unpacked_weights_);
  Matrix k = BitLinear(h, *w.attn_k, unpacked_weights_);
  Matrix v = BitLinear(h, *w.attn_v, unpacked_weights_);
  RopeRows(q, c.head_dim, position_, c.rope_freq_base);
  RopeRows(k, c.head_dim, position_, c.rope_freq_base);
  RoundToF16InPlace(q);
  // Row-major storage: token by token, each kv_dim values.
  for (Index i = 0; i < k.size(); ++i) keys_[layer].push_back(F32ToF16(k.data()[i]));
  for (Index i = 0; i < v.size(); ++i) values_[layer].push_back(F32ToF16(v.data()[i]));
  const Matrix attention = Attention(layer, q, trace);
  const Matrix o = RmsNormRows(attention, *w.attn_sub_norm, eps);
  x += BitLinear(o, *w.attn_output, unpacked_weights_);  // elementwise f32 add
  if (trace != nullptr) {
    trace->attn_norm = h;
    trace->q = q;
    trace->k = k;
    trace->v = v;
    RoundToF16InPlace(trace->k);
    RoundToF16InPlace(trace->v);
    trace->attention = attention;
    trace->attn_sub_norm = o;
    trace->attn_residual = x;
  }

  // Feed-forward block: squared ReLU gate, sub-norm over the ffn width.
  const Matrix h2 = RmsNormRows(x, *w.ffn_norm, eps);
  const Matrix gate = BitLinear(h2, *w.ffn_gate, unpacked_weights_);
  const Matrix up = BitLinear(h2, *w.ffn_up, unpacked_weights_);
  Matrix gated(gate.rows(), gate.cols());
  for (Index t = 0; t < gated.rows(); ++t) {
    for (Index i = 0; i < gated.cols(); ++i) gated(t, i) = SquaredReluGate(gate(t, i), up(t, i));
  }
  const Matrix f = RmsNormRows(gated, *w.ffn_sub_norm, eps);
  x += BitLinear(f, *w.ffn_down, unpacked_weights_);
  if (trace != nullptr) {
    trace->ffn_norm = h2;
    trace->ffn_gated = gated;
    trace->ffn_sub_norm = f;
    trace->output = x;
  }
}

Matrix ReferenceModel::Attention(int layer, const Matrix& q, LayerTrace* trace) const {
  const ModelConfig& c = config();
  const int head_dim = c.head_dim;
  const int kv_dim = head_dim * c.head_count_kv;
  const int group = c.head_count / c.head_count_kv;  // query heads per KV head
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const std::vector<uint16_t>& keys = keys_[layer];
  const std::vector<uint16_t>& values = values_[layer];
  const int last_pos = position_ + static_cast<int>(q.rows()) - 1;
  if (trace != nullptr) trace->probabilities = Matrix::Zero(q.rows() * c.head_count, last_pos + 1);

  Matrix out(q.rows(), q.cols());
  std::vector<float> key(head_dim);
  for (Index t = 0; t < q.rows(); ++t) {
    const int pos = position_ + static_cast<int>(t);
    for (int head = 0; head < c.head_count; ++head) {
      const size_t kv_offset = static_cast<size_t>(head / group) * head_dim;
      const std::span<const float> q_head = Row(q, t).subspan(head * head_dim, head_dim);

      // Scores over the causal range 0..pos, then the softmax.
      std::vector<float> scores(pos + 1);
      for (int j = 0; j <= pos; ++j) {
        for (int d = 0; d < head_dim; ++d) key[d] = F16ToF32(keys[j * kv_dim + kv_offset + d]);
        scores[j] = Dot16(q_head, key) * scale;
      }
      std::vector<float> p = Softmax(scores);
      for (float& pj : p) pj = RoundToF16(pj);

      // o[d] = fma chain over positions j = 0, 1, ..., pos.
      for (int d = 0; d < head_dim; ++d) {
        float o = +0.0f;
        for (int j = 0; j <= pos; ++j) {
          o = std::fma(p[j], F16ToF32(values[j * kv_dim + kv_offset + d]), o);
        }
        out(t, head * head_dim + d) = o;
      }
      if (trace != nullptr) {
        for (int j = 0; j <= pos; ++j) trace->probabilities(t * c.head_count + head, j) = p[j];
      }
    }
  }
  return out;
}

Matrix ReferenceModel::Head(const Matrix& x, Logits which, Trace* trace) const {
  const ModelConfig& c = config();
  const Index first = which == Logits::kLast ? x.rows() - 1 : 0;
  const Matrix rows = x.bottomRows(x.rows() - first);
  Matrix hn = RmsNormRows(rows, *model_.tensors.output_norm, c.rms_epsilon);
  RoundToF16InPlace(hn);  // bitnet.cpp's F16 head converts its input to f16
  Matrix logits(hn.rows(), c.vocab_size);
  std::vector<float> embedding(c.embedding_length);
  for (int v = 0; v < c.vocab_size; ++v) {
    for (int i = 0; i < c.embedding_length; ++i) {
      embedding[i] = F16Value(*model_.tensors.output, static_cast<size_t>(v) * c.embedding_length + i);
    }
    for (Index r = 0; r < hn.rows(); ++r) logits(r, v) = Dot16(Row(hn, r), embedding);
  }
  if (trace != nullptr) trace->head_input = hn;
  return logits;
}

}  // namespace bitbrain::reference
