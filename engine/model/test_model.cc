#include "engine/model/test_model.h"

#include <cstring>

#include "kernels/formats/f16.h"
#include "kernels/formats/i2s.h"

namespace bitbrain::testing {
namespace {

using gguf::TensorType;

struct TensorPlan {
  std::string name;
  std::vector<uint64_t> ne;
  TensorType type;
};

// Simple recognisable contents; the model layer does not look at values.
void FillTensor(TensorType type, uint64_t n, std::span<uint8_t> out) {
  if (type == TensorType::kI2_S) {
    std::vector<int8_t> ternary(n);
    for (uint64_t i = 0; i < n; ++i) ternary[i] = static_cast<int8_t>(static_cast<int>(i % 3) - 1);
    i2s::Pack(ternary, 0.5f, out);
  } else if (type == TensorType::kF16) {
    for (uint64_t i = 0; i < out.size() / 2; ++i) {
      const uint16_t h = F32ToF16(static_cast<float>(i % 17) / 16.0f - 0.5f);
      std::memcpy(out.data() + 2 * i, &h, 2);
    }
  } else {  // F32: norm weights near 1
    for (uint64_t i = 0; i < out.size() / 4; ++i) {
      const float f = 1.0f + static_cast<float>(i % 5) / 64.0f;
      std::memcpy(out.data() + 4 * i, &f, 4);
    }
  }
}

}  // namespace

std::vector<std::string> TestModel::TensorNames() const {
  std::vector<std::string> names = {"token_embd.weight", "output_norm.weight"};
  if (output_weight) names.push_back("output.weight");
  for (uint32_t i = 0; i < block_count; ++i) {
    for (const char* suffix : {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "attn_sub_norm",
                               "ffn_norm", "ffn_gate", "ffn_up", "ffn_down", "ffn_sub_norm"}) {
      names.push_back("blk." + std::to_string(i) + "." + suffix + ".weight");
    }
  }
  return names;
}

std::vector<uint8_t> TestModel::Serialize() const {
  gguf::Writer w;
  const std::string p = architecture + ".";
  auto u32 = [&](const std::string& key, uint32_t v) {
    if (omit.count(key) != 0) return;
    const auto it = u32_keys.find(key);
    w.AddU32(key, it == u32_keys.end() ? v : it->second);
  };
  auto f32 = [&](const std::string& key, float v) {
    if (omit.count(key) != 0) return;
    const auto it = f32_keys.find(key);
    w.AddF32(key, it == f32_keys.end() ? v : it->second);
  };
  if (omit.count("general.architecture") == 0) w.AddString("general.architecture", architecture);
  u32(p + "vocab_size", vocab_size);
  u32(p + "context_length", 256);
  u32(p + "embedding_length", embedding_length);
  u32(p + "block_count", block_count);
  u32(p + "feed_forward_length", feed_forward_length);
  u32(p + "rope.dimension_count", head_dim);
  u32(p + "attention.head_count", head_count);
  u32(p + "attention.head_count_kv", head_count_kv);
  f32(p + "attention.layer_norm_rms_epsilon", 1e-5f);
  f32(p + "rope.freq_base", 500000.0f);
  if (omit.count("tokenizer.ggml.tokens") == 0) {
    std::vector<std::string> tokens;
    for (uint32_t i = 0; i < vocab_size; ++i) tokens.push_back("t" + std::to_string(i));
    w.AddStringArray("tokenizer.ggml.tokens", std::move(tokens));
  }

  const uint64_t hidden = embedding_length;
  const uint64_t kv_dim = uint64_t{head_dim} * head_count_kv;
  const uint64_t ffn = feed_forward_length;
  for (const std::string& name : TensorNames()) {
    if (omit.count(name) != 0) continue;
    TensorPlan t{name, {hidden}, TensorType::kF32};
    auto is = [&](const char* part) { return name.find(part) != std::string::npos; };
    if (is("token_embd") || name == "output.weight") {
      t = {name, {hidden, vocab_size}, TensorType::kF16};
    } else if (is("attn_q") || is("attn_output")) {
      t = {name, {hidden, hidden}, TensorType::kI2_S};
    } else if (is("attn_k") || is("attn_v")) {
      t = {name, {hidden, kv_dim}, TensorType::kI2_S};
    } else if (is("ffn_gate") || is("ffn_up")) {
      t = {name, {hidden, ffn}, TensorType::kI2_S};
    } else if (is("ffn_down")) {
      t = {name, {ffn, hidden}, TensorType::kI2_S};
    } else if (is("ffn_sub_norm")) {
      t = {name, {ffn}, TensorType::kF32};
    }
    if (const auto it = shapes.find(name); it != shapes.end()) t.ne = it->second;
    if (const auto it = types.find(name); it != types.end()) t.type = it->second;
    uint64_t n = 1;
    for (uint64_t d : t.ne) n *= d;
    const TensorType type = t.type;
    w.AddTensor(t.name, t.ne, t.type, [type, n](std::span<uint8_t> out) { FillTensor(type, n, out); });
  }
  return w.Serialize();
}

}  // namespace bitbrain::testing
