// The weights the forward pass reads. Norm weights and the F16 embeddings /
// LM head are used straight from the file's mapping; the ternary matrices are
// repacked once, at load, from I2_S into the kernel variant's layout
// (kernels.h, TernaryMatmul), after which their file pages are released. The
// repacked bytes can be cached beside the model (repack_cache.h) and mapped
// on the next start instead.
#ifndef BITBRAIN_ENGINE_RUNTIME_MODEL_WEIGHTS_H_
#define BITBRAIN_ENGINE_RUNTIME_MODEL_WEIGHTS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/model/bitnet_model.h"
#include "engine/gguf/gguf.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/repack_cache.h"
#include "kernels/kernels.h"
#include "kernels/thread_pool.h"

namespace bitbrain::runtime {

// A ternary matrix of rows (output features) x cols (input features).
struct TernaryWeights {
  const uint8_t* packed;  // in the variant's layout
  int rows;
  int cols;
  float scale;  // the I2_S tensor scale
};

struct LayerWeights {
  const float* attn_norm;
  TernaryWeights attn_q;
  TernaryWeights attn_k;
  TernaryWeights attn_v;
  TernaryWeights attn_output;
  const float* attn_sub_norm;
  const float* ffn_norm;
  TernaryWeights ffn_gate;
  TernaryWeights ffn_up;
  TernaryWeights ffn_down;
  const float* ffn_sub_norm;
};

struct ModelWeights {
  const uint16_t* token_embd;  // [vocab][hidden] f16
  const uint16_t* output;      // the LM head [vocab][hidden] f16 (token_embd when tied)
  const float* output_norm;
  std::vector<LayerWeights> layers;
  // Every repacked ternary matrix: in memory, or (if it came from the cache)
  // in the mapped cache file.
  AnonymousMemory packed;
  MappedCache cached;
  size_t packed_bytes = 0;
  bool from_cache = false;

  // Binds `model`'s tensors (those of `file`, which must stay mapped) and
  // repacks the ternary ones with `matmul`, one tensor per task of `pool`.
  // With `identity` (of the model file, repack_cache.h; null: no cache),
  // maps the repack cache instead if a valid one exists, and
  // otherwise writes one after repacking; if it cannot be written (say, the
  // model's directory is read-only), says so once per process on stderr and
  // goes on. Throws std::runtime_error if a matrix does not fit the kernels
  // (input features not a multiple of 128).
  static ModelWeights Load(const gguf::File& file, const BitnetModel& model,
                           const kernels::TernaryMatmul& matmul, kernels::ThreadPool& pool,
                           const ModelIdentity* identity);
};

}  // namespace bitbrain::runtime

#endif  // BITBRAIN_ENGINE_RUNTIME_MODEL_WEIGHTS_H_
