#include "engine/synthetic/synthetic_model.h"

#include <algorithm>
#include <cmath>

#include "engine/synthetic/vocabulary.h"
#include "engine/synthetic/weights.h"

namespace bitbrain::synthetic {
namespace {

constexpr std::string_view kArchitecture = "bitnet-b1.58";
constexpr uint32_t kFileTypeI2S = 40;  // general.file_type of the official file
constexpr uint32_t kQuantizationVersion = 2;
constexpr uint64_t kAlignment = 32;    // GGUF's default; the file sets no general.alignment

constexpr SyntheticConfig kConfigs[] = {
    {.name = "tiny", .context_length = 512, .embedding_length = 256, .block_count = 2,
     .feed_forward_length = 640, .head_count = 4, .head_count_kv = 1, .rms_epsilon = 1e-5f,
     .rope_freq_base = 500000.0f, .llama3_vocabulary = false},
    {.name = "small", .context_length = 4096, .embedding_length = 512, .block_count = 4,
     .feed_forward_length = 1536, .head_count = 4, .head_count_kv = 1, .rms_epsilon = 1e-5f,
     .rope_freq_base = 500000.0f, .llama3_vocabulary = true},
    {.name = "2b4t", .context_length = 4096, .embedding_length = 2560, .block_count = 30,
     .feed_forward_length = 6912, .head_count = 20, .head_count_kv = 5, .rms_epsilon = 1e-5f,
     .rope_freq_base = 500000.0f, .llama3_vocabulary = true},
};

const Vocabulary& VocabularyOf(const SyntheticConfig& config) {
  return config.llama3_vocabulary ? Llama3Vocabulary() : TinyVocabulary();
}

uint32_t HeadDim(const SyntheticConfig& config) { return config.embedding_length / config.head_count; }

// The layers in the order of their names as strings ("0", "1", "10", "11",
// ..., "2", "20", ...): the order of the Hugging Face checkpoint's sorted
// tensor names, which the official file keeps.
std::vector<uint32_t> LayersInNameOrder(uint32_t block_count) {
  std::vector<uint32_t> layers(block_count);
  for (uint32_t i = 0; i < block_count; ++i) layers[i] = i;
  std::sort(layers.begin(), layers.end(),
            [](uint32_t a, uint32_t b) { return std::to_string(a) < std::to_string(b); });
  return layers;
}

// How each tensor's values are drawn: weight matrices with latent standard
// deviation 1/sqrt(fan-in) (so activations keep their scale), norm weights
// 1 + 0.05 z, embeddings 0.02 z.
gguf::Writer::Fill FillFor(const TensorSpec& t, uint64_t seed) {
  switch (t.type) {
    case gguf::TensorType::kI2_S: {
      const float sigma = static_cast<float>(1.0 / std::sqrt(static_cast<double>(t.ne[0])));
      return [seed, name = t.name, sigma](std::span<uint8_t> out) { FillTernary(seed, name, sigma, out); };
    }
    case gguf::TensorType::kF16:
      return [seed, name = t.name](std::span<uint8_t> out) { FillF16(seed, name, 0.02f, out); };
    default:
      return [seed, name = t.name](std::span<uint8_t> out) { FillF32(seed, name, 1.0f, 0.05f, out); };
  }
}

}  // namespace

const SyntheticConfig* FindConfig(std::string_view name) {
  for (const SyntheticConfig& config : kConfigs) {
    if (config.name == name) return &config;
  }
  return nullptr;
}

std::vector<std::string_view> ConfigNames() {
  std::vector<std::string_view> names;
  for (const SyntheticConfig& config : kConfigs) names.push_back(config.name);
  return names;
}

// The official file's order (its converter kept the sorted names of the
// Hugging Face checkpoint: model.embed_tokens, model.layers.<i>.{
// input_layernorm, mlp.down_proj, mlp.ffn_sub_norm, mlp.gate_proj,
// mlp.up_proj, post_attention_layernorm, self_attn.attn_sub_norm,
// self_attn.{k,o,q,v}_proj}, model.norm). Consistent with the public load
// logs of that file, whose first I2_S tensor is blk.0.ffn_down.weight.
std::vector<TensorSpec> TensorPlan(const SyntheticConfig& config) {
  using gguf::TensorType;
  const uint64_t hidden = config.embedding_length;
  const uint64_t ffn = config.feed_forward_length;
  const uint64_t kv_dim = uint64_t{config.head_count_kv} * HeadDim(config);
  const uint64_t vocab = VocabularyOf(config).tokens.size();

  std::vector<TensorSpec> plan;
  plan.push_back({"token_embd.weight", {hidden, vocab}, TensorType::kF16});
  for (const uint32_t layer : LayersInNameOrder(config.block_count)) {
    const std::string blk = "blk." + std::to_string(layer) + ".";
    plan.push_back({blk + "attn_norm.weight", {hidden}, TensorType::kF32});
    plan.push_back({blk + "ffn_down.weight", {ffn, hidden}, TensorType::kI2_S});
    plan.push_back({blk + "ffn_sub_norm.weight", {ffn}, TensorType::kF32});
    plan.push_back({blk + "ffn_gate.weight", {hidden, ffn}, TensorType::kI2_S});
    plan.push_back({blk + "ffn_up.weight", {hidden, ffn}, TensorType::kI2_S});
    plan.push_back({blk + "ffn_norm.weight", {hidden}, TensorType::kF32});
    plan.push_back({blk + "attn_sub_norm.weight", {hidden}, TensorType::kF32});
    plan.push_back({blk + "attn_k.weight", {hidden, kv_dim}, TensorType::kI2_S});
    plan.push_back({blk + "attn_output.weight", {hidden, hidden}, TensorType::kI2_S});
    plan.push_back({blk + "attn_q.weight", {hidden, hidden}, TensorType::kI2_S});
    plan.push_back({blk + "attn_v.weight", {hidden, kv_dim}, TensorType::kI2_S});
  }
  plan.push_back({"output_norm.weight", {hidden}, TensorType::kF32});
  return plan;
}

PlanSummary Summarize(const std::vector<TensorSpec>& plan) {
  PlanSummary summary;
  for (const TensorSpec& t : plan) {
    uint64_t n = 1;
    for (const uint64_t d : t.ne) n *= d;
    const uint64_t bytes = gguf::TensorBytes(t.type, n).value();
    summary.data_bytes += (bytes + kAlignment - 1) / kAlignment * kAlignment;
    ++summary.tensors;
    summary.i2s_tensors += t.type == gguf::TensorType::kI2_S;
    summary.f32_tensors += t.type == gguf::TensorType::kF32;
    summary.f16_tensors += t.type == gguf::TensorType::kF16;
  }
  return summary;
}

// The keys of the official file, in its order (bitnet-model.md section 2).
gguf::Writer MakeModelWriter(const SyntheticConfig& config, uint64_t seed) {
  const Vocabulary& vocab = VocabularyOf(config);
  const std::string arch(kArchitecture);
  gguf::Writer writer;
  writer.AddString("general.architecture", arch);
  writer.AddString("general.name", "bitbrain-synthetic-" + std::string(config.name) + "-seed" + std::to_string(seed));
  writer.AddU32(arch + ".vocab_size", static_cast<uint32_t>(vocab.tokens.size()));
  writer.AddU32(arch + ".context_length", config.context_length);
  writer.AddU32(arch + ".embedding_length", config.embedding_length);
  writer.AddU32(arch + ".block_count", config.block_count);
  writer.AddU32(arch + ".feed_forward_length", config.feed_forward_length);
  writer.AddU32(arch + ".rope.dimension_count", HeadDim(config));
  writer.AddU32(arch + ".attention.head_count", config.head_count);
  writer.AddU32(arch + ".attention.head_count_kv", config.head_count_kv);
  writer.AddBool("tokenizer.ggml.add_bos_token", true);
  writer.AddF32(arch + ".attention.layer_norm_rms_epsilon", config.rms_epsilon);
  writer.AddF32(arch + ".rope.freq_base", config.rope_freq_base);
  writer.AddU32("general.file_type", kFileTypeI2S);
  writer.AddString("tokenizer.ggml.model", "gpt2");
  writer.AddStringArray("tokenizer.ggml.tokens", vocab.tokens);
  writer.AddI32Array("tokenizer.ggml.token_type", vocab.token_types);
  writer.AddStringArray("tokenizer.ggml.merges", vocab.merges);
  writer.AddU32("tokenizer.ggml.bos_token_id", vocab.bos_id);
  writer.AddU32("tokenizer.ggml.eos_token_id", vocab.eos_id);
  writer.AddU32("tokenizer.ggml.padding_token_id", vocab.eos_id);
  writer.AddU32("tokenizer.ggml.eot_token_id", vocab.eot_id);
  writer.AddU32("general.quantization_version", kQuantizationVersion);

  for (TensorSpec& t : TensorPlan(config)) {
    gguf::Writer::Fill fill = FillFor(t, seed);
    writer.AddTensor(std::move(t.name), std::move(t.ne), t.type, std::move(fill));
  }
  return writer;
}

void WriteModel(const SyntheticConfig& config, uint64_t seed, const std::string& path,
                const std::function<void(uint64_t, uint64_t)>& progress) {
  MakeModelWriter(config, seed).Write(path, progress);
}

}  // namespace bitbrain::synthetic
