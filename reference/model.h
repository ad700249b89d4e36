// The reference forward pass of BitNet b1.58 (../shared/specs/bitnet-model.md
// section 4) computed exactly as conformance/NUMERICS.md defines it. Slow and
// obvious: the engine's logits must equal these bit for bit.
//
// Usage:
//   gguf::File file = gguf::File::Open(path);
//   reference::ReferenceModel model(file);
//   reference::Matrix logits = model.Forward(tokens);   // [tokens x vocab]
//   reference::Matrix next = model.Forward(more_tokens, Logits::kLast);
//
// Forward appends the tokens to the KV cache, so consecutive calls decode
// incrementally. Weights are read from the mapped file and unpacked to floats
// one matrix at a time (into one reused buffer), so a 2B4T model needs little
// more memory than its file.
#ifndef BITBRAIN_REFERENCE_MODEL_H_
#define BITBRAIN_REFERENCE_MODEL_H_

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "engine/gguf/gguf.h"
#include "engine/model/bitnet_model.h"

namespace bitbrain::reference {

// One row per token, contiguous (a row is a std::span of floats).
using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Every intermediate of one layer for the tokens of one Forward call, named
// as in the spec's pseudocode (row t = token t of the call).
struct LayerTrace {
  Matrix attn_norm;      // h = rmsnorm(x) * attn_norm: the input of Wq, Wk, Wv
  Matrix q;              // after RoPE, rounded to f16
  Matrix k;              // after RoPE, rounded to f16 (as cached)
  Matrix v;              // rounded to f16 (as cached)
  // Row t * head_count + head: the f16 probabilities over positions
  // 0..pos of token t (pos = its position), zero beyond.
  Matrix probabilities;
  Matrix attention;      // concatenated head outputs
  Matrix attn_sub_norm;  // the input of Wo
  Matrix attn_residual;  // x after the attention block
  Matrix ffn_norm;       // the input of Wgate and Wup
  Matrix ffn_gated;      // relu(gate)^2 * up
  Matrix ffn_sub_norm;   // the input of Wdown
  Matrix output;         // x after the layer
};

struct Trace {
  std::vector<LayerTrace> layers;
  Matrix head_input;  // rounded to f16; one row per logits row returned
};

enum class Logits { kAll, kLast };

class ReferenceModel {
 public:
  // Binds the model in `file`, which must outlive this object. Throws
  // gguf::GgufError for a file that is not a valid BitNet b1.58 model.
  explicit ReferenceModel(const gguf::File& file);

  const ModelConfig& config() const { return model_.config; }
  // Tokens in the KV cache: the position of the next token.
  int position() const { return position_; }
  // Empties the KV cache.
  void Reset();

  // Runs tokens at positions position() .. position() + n - 1, appends them
  // to the KV cache and returns their logits (one row per token, or only the
  // last token's). Fills `trace` if given. Throws std::invalid_argument for an
  // empty chunk, a token id outside the vocabulary or a sequence longer than
  // the context length (the cache is then unchanged).
  Matrix Forward(std::span<const int32_t> tokens, Logits which = Logits::kAll,
                 Trace* trace = nullptr);

 private:
  Matrix Embed(std::span<const int32_t> tokens) const;
  void RunLayer(int layer, Matrix& x, LayerTrace* trace);
  Matrix Attention(int layer, const Matrix& q, LayerTrace* trace) const;
  Matrix Head(const Matrix& x, Logits which, Trace* trace) const;

  const gguf::File& file_;
  BitnetModel model_;
  int position_ = 0;
  // Per layer, the f16 keys and values of every cached position:
  // position p occupies [p * kv_dim, (p + 1) * kv_dim).
  std::vector<std::vector<uint16_t>> keys_, values_;
  // The weights of the BitLinear being computed, unpacked to floats.
  std::vector<float> unpacked_weights_;
};

}  // namespace bitbrain::reference

#endif  // BITBRAIN_REFERENCE_MODEL_H_
