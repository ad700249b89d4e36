// Synthetic BitNet b1.58 models: complete `bitnet-b1.58` GGUF files with the
// metadata keys, tensor set and tensor order of Microsoft's official
// bitnet-b1.58-2B-4T file (../shared/specs/bitnet-model.md section 2) and
// weights that look trained (weights.h), for tests and benchmarks.
//
// Configs:
//   tiny   hidden 256, 2 layers, ffn 640, 4 heads / 1 KV head of 64, ctx 512,
//          its own 768-token byte-level vocabulary   (fast tests)
//   small  hidden 512, 4 layers, ffn 1536, 4 heads / 1 KV head of 128,
//          ctx 4096, the real LLaMA-3 vocabulary
//   2b4t   exactly the official shapes: hidden 2560, 30 layers, ffn 6912,
//          20 heads / 5 KV heads of 128, ctx 4096, LLaMA-3 vocabulary
//          (data section 1,179,449,920 bytes)
// The same (config, seed) gives the same bytes on any machine.
#ifndef BITBRAIN_ENGINE_SYNTHETIC_SYNTHETIC_MODEL_H_
#define BITBRAIN_ENGINE_SYNTHETIC_SYNTHETIC_MODEL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/gguf/gguf.h"

namespace bitbrain::synthetic {

struct SyntheticConfig {
  std::string_view name;
  uint32_t context_length;
  uint32_t embedding_length;
  uint32_t block_count;
  uint32_t feed_forward_length;
  uint32_t head_count;
  uint32_t head_count_kv;
  float rms_epsilon;
  float rope_freq_base;
  bool llama3_vocabulary;  // else the tiny vocabulary
};

// The config called `name` ("tiny", "small", "2b4t"); nullptr if none is.
const SyntheticConfig* FindConfig(std::string_view name);
// All config names, for help and error messages.
std::vector<std::string_view> ConfigNames();

// One tensor of a model file: name, shape (ne[0] contiguous) and type.
struct TensorSpec {
  std::string name;
  std::vector<uint64_t> ne;
  gguf::TensorType type;
};

// The tensors of a model in the official file's order (see the .cc).
std::vector<TensorSpec> TensorPlan(const SyntheticConfig& config);

// Tensor counts and the data section size of a plan, as written (every
// tensor padded to GGUF's default 32-byte alignment).
struct PlanSummary {
  size_t tensors = 0;
  size_t i2s_tensors = 0;
  size_t f32_tensors = 0;
  size_t f16_tensors = 0;
  uint64_t data_bytes = 0;
};
PlanSummary Summarize(const std::vector<TensorSpec>& plan);

// A writer holding the model's metadata and its tensors, whose values are
// generated (from seed and tensor name) as Write() reaches them.
gguf::Writer MakeModelWriter(const SyntheticConfig& config, uint64_t seed);

// Writes the model to `path` (atomically). `progress` as in gguf::Writer.
void WriteModel(const SyntheticConfig& config, uint64_t seed, const std::string& path,
                const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace bitbrain::synthetic

#endif  // BITBRAIN_ENGINE_SYNTHETIC_SYNTHETIC_MODEL_H_
