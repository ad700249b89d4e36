// The BitNet b1.58 model as stored in a GGUF file: hyperparameters from the
// `<arch>.*` keys and every tensor checked for presence, type and shape
// (../shared/specs/bitnet-model.md section 2). No tensor data is copied.
#ifndef BITBRAIN_ENGINE_MODEL_BITNET_MODEL_H_
#define BITBRAIN_ENGINE_MODEL_BITNET_MODEL_H_

#include <string>
#include <vector>

#include "engine/gguf/gguf.h"

namespace bitbrain {

struct ModelConfig {
  std::string architecture;  // "bitnet-b1.58" or "bitnet-25"
  int vocab_size = 0;
  int context_length = 0;
  int embedding_length = 0;     // hidden size
  int block_count = 0;          // layers
  int feed_forward_length = 0;
  int head_count = 0;
  int head_count_kv = 0;
  int head_dim = 0;             // rope.dimension_count
  float rms_epsilon = 0;
  float rope_freq_base = 0;
};

struct LayerTensors {
  const gguf::TensorInfo* attn_norm;      // F32 [hidden]
  const gguf::TensorInfo* attn_q;         // I2_S [hidden x hidden]
  const gguf::TensorInfo* attn_k;         // I2_S [hidden x kv_dim]
  const gguf::TensorInfo* attn_v;         // I2_S [hidden x kv_dim]
  const gguf::TensorInfo* attn_output;    // I2_S [hidden x hidden]
  const gguf::TensorInfo* attn_sub_norm;  // F32 [hidden]
  const gguf::TensorInfo* ffn_norm;       // F32 [hidden]
  const gguf::TensorInfo* ffn_gate;       // I2_S [hidden x ffn]
  const gguf::TensorInfo* ffn_up;         // I2_S [hidden x ffn]
  const gguf::TensorInfo* ffn_down;       // I2_S [ffn x hidden]
  const gguf::TensorInfo* ffn_sub_norm;   // F32 [ffn]
};

struct ModelTensors {
  const gguf::TensorInfo* token_embd;   // F16 [hidden x vocab]
  const gguf::TensorInfo* output_norm;  // F32 [hidden]
  const gguf::TensorInfo* output;       // the LM head: output.weight, else token_embd
  std::vector<LayerTensors> layers;
};

// Reads the config of a bitnet-b1.58 / bitnet-25 file and binds its tensors.
// Throws gguf::GgufError naming the file and the key or tensor at fault
// (unknown architecture, missing key, wrong type or shape, ...).
struct BitnetModel {
  ModelConfig config;
  ModelTensors tensors;

  static BitnetModel FromFile(const gguf::File& file);
};

}  // namespace bitbrain

#endif  // BITBRAIN_ENGINE_MODEL_BITNET_MODEL_H_
