#include "reference/test_model.h"

#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <random>
#include <string>

#include "engine/gguf/gguf.h"
#include "kernels/formats/f16.h"
#include "kernels/formats/i2s.h"

namespace bitbrain::reference {
namespace {

using gguf::TensorType;

std::vector<uint8_t> TernaryBytes(int inputs, int outputs, std::mt19937& rng) {
  const size_t n = static_cast<size_t>(inputs) * outputs;
  std::uniform_int_distribution<int> trit(-1, 1);
  std::vector<int8_t> ternary(n);
  for (int8_t& t : ternary) t = static_cast<int8_t>(trit(rng));
  std::vector<uint8_t> bytes(i2s::TensorBytes(n));
  i2s::Pack(ternary, static_cast<float>(1.0 / std::sqrt(2.0 / 3.0 * inputs)), bytes);
  return bytes;
}

std::vector<uint8_t> NormBytes(int n, std::mt19937& rng) {
  std::uniform_real_distribution<float> weight(0.8f, 1.2f);
  std::vector<uint8_t> bytes(4 * static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const float w = weight(rng);
    std::memcpy(bytes.data() + 4 * i, &w, 4);
  }
  return bytes;
}

std::vector<uint8_t> EmbeddingBytes(const TestModelShape& s, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const size_t n = static_cast<size_t>(s.hidden) * s.vocab;
  std::vector<uint8_t> bytes(2 * n);
  for (size_t i = 0; i < n; ++i) {
    float value = normal(rng);
    if (s.inf_token >= 0 && i == static_cast<size_t>(s.inf_token) * s.hidden) {
      value = std::numeric_limits<float>::infinity();
    }
    const uint16_t h = F32ToF16(value);
    std::memcpy(bytes.data() + 2 * i, &h, 2);
  }
  return bytes;
}

}  // namespace

std::vector<uint8_t> MakeTestModel(const TestModelShape& s, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::string arch = "bitnet-b1.58";
  const int head_dim = s.hidden / s.heads;
  const uint64_t hidden = s.hidden, ffn = s.ffn, kv_dim = uint64_t{1} * head_dim * s.kv_heads;

  gguf::Writer w;
  w.AddString("general.architecture", arch);
  w.AddU32(arch + ".vocab_size", s.vocab);
  w.AddU32(arch + ".context_length", s.context);
  w.AddU32(arch + ".embedding_length", s.hidden);
  w.AddU32(arch + ".block_count", s.layers);
  w.AddU32(arch + ".feed_forward_length", s.ffn);
  w.AddU32(arch + ".rope.dimension_count", head_dim);
  w.AddU32(arch + ".attention.head_count", s.heads);
  w.AddU32(arch + ".attention.head_count_kv", s.kv_heads);
  w.AddF32(arch + ".attention.layer_norm_rms_epsilon", s.rms_epsilon);
  w.AddF32(arch + ".rope.freq_base", s.rope_freq_base);

  // Writer::AddTensor copies span bytes at Write/Serialize time: keep them
  // alive (a deque never moves its elements).
  std::deque<std::vector<uint8_t>> data;
  auto add = [&](std::string name, std::vector<uint64_t> ne, TensorType type,
                 std::vector<uint8_t> bytes) {
    data.push_back(std::move(bytes));
    w.AddTensor(std::move(name), std::move(ne), type, data.back());
  };
  add("token_embd.weight", {hidden, static_cast<uint64_t>(s.vocab)}, TensorType::kF16,
      EmbeddingBytes(s, rng));
  add("output_norm.weight", {hidden}, TensorType::kF32, NormBytes(s.hidden, rng));
  for (int l = 0; l < s.layers; ++l) {
    const std::string blk = "blk." + std::to_string(l) + ".";
    const int kv = static_cast<int>(kv_dim);
    add(blk + "attn_norm.weight", {hidden}, TensorType::kF32, NormBytes(s.hidden, rng));
    add(blk + "attn_q.weight", {hidden, hidden}, TensorType::kI2_S, TernaryBytes(s.hidden, s.hidden, rng));
    add(blk + "attn_k.weight", {hidden, kv_dim}, TensorType::kI2_S, TernaryBytes(s.hidden, kv, rng));
    add(blk + "attn_v.weight", {hidden, kv_dim}, TensorType::kI2_S, TernaryBytes(s.hidden, kv, rng));
    add(blk + "attn_output.weight", {hidden, hidden}, TensorType::kI2_S, TernaryBytes(s.hidden, s.hidden, rng));
    add(blk + "attn_sub_norm.weight", {hidden}, TensorType::kF32, NormBytes(s.hidden, rng));
    add(blk + "ffn_norm.weight", {hidden}, TensorType::kF32, NormBytes(s.hidden, rng));
    add(blk + "ffn_gate.weight", {hidden, ffn}, TensorType::kI2_S, TernaryBytes(s.hidden, s.ffn, rng));
    add(blk + "ffn_up.weight", {hidden, ffn}, TensorType::kI2_S, TernaryBytes(s.hidden, s.ffn, rng));
    add(blk + "ffn_down.weight", {ffn, hidden}, TensorType::kI2_S, TernaryBytes(s.ffn, s.hidden, rng));
    add(blk + "ffn_sub_norm.weight", {ffn}, TensorType::kF32, NormBytes(s.ffn, rng));
  }
  return w.Serialize();
}

}  // namespace bitbrain::reference
