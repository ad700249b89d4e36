#include "engine/runtime/model_weights.h"

#include <atomic>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

#include "kernels/formats/i2s.h"

namespace bitbrain::runtime {
namespace {

// Each packed matrix starts on a cache line.
constexpr size_t kPackedAlignment = 64;

const float* F32Data(const gguf::TensorInfo* tensor) {
  return reinterpret_cast<const float*>(tensor->data);
}

// A ternary tensor still to be repacked into `out`.
struct PackJob {
  const gguf::TensorInfo* tensor;
  TernaryWeights* out;
  size_t offset;  // into ModelWeights::packed
};

}  // namespace

ModelWeights ModelWeights::Load(const gguf::File& file, const BitnetModel& model,
                                const kernels::TernaryMatmul& matmul, kernels::ThreadPool& pool,
                                const ModelIdentity* identity) {
  const ModelTensors& t = model.tensors;
  ModelWeights weights;
  weights.token_embd = reinterpret_cast<const uint16_t*>(t.token_embd->data);
  weights.output = reinterpret_cast<const uint16_t*>(t.output->data);
  weights.output_norm = F32Data(t.output_norm);
  weights.layers.resize(t.layers.size());

  std::vector<PackJob> jobs;
  size_t total = 0;
  const auto plan = [&](const gguf::TensorInfo* tensor, TernaryWeights& out) {
    const int cols = static_cast<int>(tensor->ne[0]);
    const int rows = static_cast<int>(tensor->ne[1]);
    if (cols % static_cast<int>(i2s::kBlockElements) != 0) {
      throw std::runtime_error("tensor '" + tensor->name + "' has " + std::to_string(cols) +
                               " input features; the ternary kernels need a multiple of 128");
    }
    out = {nullptr, rows, cols, i2s::Scale(tensor->data, tensor->n_elements)};
    jobs.push_back({tensor, &out, total});
    total += (matmul.packed_bytes(rows, cols) + kPackedAlignment - 1) / kPackedAlignment *
             kPackedAlignment;
  };
  for (size_t l = 0; l < t.layers.size(); ++l) {
    const LayerTensors& in = t.layers[l];
    LayerWeights& out = weights.layers[l];
    out.attn_norm = F32Data(in.attn_norm);
    out.attn_sub_norm = F32Data(in.attn_sub_norm);
    out.ffn_norm = F32Data(in.ffn_norm);
    out.ffn_sub_norm = F32Data(in.ffn_sub_norm);
    plan(in.attn_q, out.attn_q);
    plan(in.attn_k, out.attn_k);
    plan(in.attn_v, out.attn_v);
    plan(in.attn_output, out.attn_output);
    plan(in.ffn_gate, out.ffn_gate);
    plan(in.ffn_up, out.ffn_up);
    plan(in.ffn_down, out.ffn_down);
  }

  weights.packed_bytes = total;

  std::optional<RepackCache> cache;
  if (identity) {
    cache.emplace(file.path(), matmul.layout, *identity);
    std::string why;
    if (std::optional<MappedCache> mapped = cache->Open(total, pool, &why)) {
      weights.cached = std::move(*mapped);
      weights.from_cache = true;
      for (const PackJob& job : jobs) job.out->packed = weights.cached.payload() + job.offset;
      return weights;
    }
    if (!why.empty()) {
      std::fprintf(stderr, "bitbrain: rebuilding the repack cache %s: %s\n", cache->path().c_str(),
                   why.c_str());
    }
  }

  weights.packed = AnonymousMemory(total, Pages::kPrefaulted);
  pool.ParallelFor(static_cast<int>(jobs.size()), [&](int i) {
    const PackJob& job = jobs[i];
    uint8_t* packed = weights.packed.data() + job.offset;
    matmul.pack(job.tensor->data, job.out->rows, job.out->cols, packed);
    job.out->packed = packed;
    // The scale was read above; the I2_S codes are not needed any more.
    ReleaseFilePages(job.tensor->data, job.tensor->n_bytes);
  });
  std::string error;
  if (cache && !cache->Write(weights.packed.data(), total, pool, &error)) {
    static std::atomic<bool> said{false};
    if (!said.exchange(true)) {
      std::fprintf(stderr, "bitbrain: repacking weights in memory at every start: %s\n",
                   error.c_str());
    }
  }
  return weights;
}

}  // namespace bitbrain::runtime
