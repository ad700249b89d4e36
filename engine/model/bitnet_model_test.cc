#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "engine/model/bitnet_model.h"
#include "engine/model/test_model.h"

namespace bitbrain {
namespace {

using gguf::TensorType;
using testing::TestModel;

BitnetModel Load(const TestModel& spec, std::vector<uint8_t>& storage) {
  storage = spec.Serialize();
  const gguf::File file = gguf::File::FromBytes(storage.data(), storage.size(), "model.gguf");
  return BitnetModel::FromFile(file);
}

// The error message of loading `spec`, or "" if it loads.
std::string LoadError(const TestModel& spec) {
  std::vector<uint8_t> storage;
  try {
    Load(spec, storage);
  } catch (const gguf::GgufError& e) {
    return e.what();
  }
  return "";
}

TEST_CASE("a valid model: config and every tensor bound") {
  const TestModel spec;
  const std::vector<uint8_t> bytes = spec.Serialize();
  const gguf::File file = gguf::File::FromBytes(bytes.data(), bytes.size(), "model.gguf");
  const BitnetModel model = BitnetModel::FromFile(file);
  const ModelConfig& c = model.config;
  CHECK(c.architecture == "bitnet-b1.58");
  CHECK(c.vocab_size == 8);
  CHECK(c.context_length == 256);
  CHECK(c.embedding_length == 128);
  CHECK(c.block_count == 2);
  CHECK(c.feed_forward_length == 256);
  CHECK(c.head_count == 2);
  CHECK(c.head_count_kv == 1);
  CHECK(c.head_dim == 64);
  CHECK(c.rms_epsilon == 1e-5f);
  CHECK(c.rope_freq_base == 500000.0f);

  const ModelTensors& t = model.tensors;
  CHECK(t.token_embd == file.FindTensor("token_embd.weight"));
  CHECK(t.output_norm == file.FindTensor("output_norm.weight"));
  CHECK(t.output == t.token_embd);  // tied head
  REQUIRE(t.layers.size() == 2);
  for (int i = 0; i < 2; ++i) {
    const std::string blk = "blk." + std::to_string(i) + ".";
    const LayerTensors& l = t.layers[i];
    CHECK(l.attn_norm == file.FindTensor(blk + "attn_norm.weight"));
    CHECK(l.attn_q == file.FindTensor(blk + "attn_q.weight"));
    CHECK(l.attn_k == file.FindTensor(blk + "attn_k.weight"));
    CHECK(l.attn_v == file.FindTensor(blk + "attn_v.weight"));
    CHECK(l.attn_output == file.FindTensor(blk + "attn_output.weight"));
    CHECK(l.attn_sub_norm == file.FindTensor(blk + "attn_sub_norm.weight"));
    CHECK(l.ffn_norm == file.FindTensor(blk + "ffn_norm.weight"));
    CHECK(l.ffn_gate == file.FindTensor(blk + "ffn_gate.weight"));
    CHECK(l.ffn_up == file.FindTensor(blk + "ffn_up.weight"));
    CHECK(l.ffn_down == file.FindTensor(blk + "ffn_down.weight"));
    CHECK(l.ffn_sub_norm == file.FindTensor(blk + "ffn_sub_norm.weight"));
  }
  CHECK(t.layers[1].attn_k->ne[0] == 128);
  CHECK(t.layers[1].attn_k->ne[1] == 64);
}

TEST_CASE("output.weight, when present, is the head") {
  TestModel spec;
  spec.output_weight = true;
  const std::vector<uint8_t> bytes = spec.Serialize();
  const gguf::File file = gguf::File::FromBytes(bytes.data(), bytes.size(), "model.gguf");
  const BitnetModel model = BitnetModel::FromFile(file);
  CHECK(model.tensors.output == file.FindTensor("output.weight"));
  CHECK(model.tensors.output != model.tensors.token_embd);
}

TEST_CASE("bitnet-25 is the same architecture") {
  TestModel spec;
  spec.architecture = "bitnet-25";
  std::vector<uint8_t> storage;
  CHECK(Load(spec, storage).config.architecture == "bitnet-25");
}

TEST_CASE("vocab_size falls back to the token list") {
  TestModel spec;
  spec.vocab_size = 12;
  spec.omit = {"bitnet-b1.58.vocab_size"};
  std::vector<uint8_t> storage;
  CHECK(Load(spec, storage).config.vocab_size == 12);
}

struct BadModel {
  std::string name;
  TestModel spec;
  std::string fragment;
};

TestModel With(std::function<void(TestModel&)> change) {
  TestModel spec;
  change(spec);
  return spec;
}

TEST_CASE("each malformed model gets its specific error") {
  const std::vector<BadModel> rows = {
      {"unknown architecture", With([](TestModel& m) { m.architecture = "llama"; }),
       "unsupported architecture 'llama' (expected bitnet-b1.58 or bitnet-25)"},
      {"no architecture", With([](TestModel& m) { m.omit = {"general.architecture"}; }),
       "missing metadata key 'general.architecture'"},
      {"missing key", With([](TestModel& m) { m.omit = {"bitnet-b1.58.attention.head_count_kv"}; }),
       "missing metadata key 'bitnet-b1.58.attention.head_count_kv'"},
      {"missing float key", With([](TestModel& m) { m.omit = {"bitnet-b1.58.rope.freq_base"}; }),
       "missing metadata key 'bitnet-b1.58.rope.freq_base'"},
      {"negative epsilon",
       With([](TestModel& m) { m.f32_keys["bitnet-b1.58.attention.layer_norm_rms_epsilon"] = -1e-5f; }),
       "metadata key 'bitnet-b1.58.attention.layer_norm_rms_epsilon' = -0.000010 is not a positive float"},
      {"NaN rope base", With([](TestModel& m) { m.f32_keys["bitnet-b1.58.rope.freq_base"] = NAN; }),
       "metadata key 'bitnet-b1.58.rope.freq_base' = nan is not a positive float"},
      {"no vocabulary at all",
       With([](TestModel& m) { m.omit = {"bitnet-b1.58.vocab_size", "tokenizer.ggml.tokens"}; }),
       "missing metadata key 'bitnet-b1.58.vocab_size' (and no tokenizer.ggml.tokens)"},
      {"head_count not a multiple of head_count_kv", With([](TestModel& m) {
         m.head_count = 4;
         m.head_count_kv = 3;
         m.head_dim = 32;
       }),
       "head_count 4 is not a multiple of head_count_kv 3"},
      {"head_dim x heads != hidden", With([](TestModel& m) { m.head_dim = 32; }),
       "rope.dimension_count 32 x head_count 2 != embedding_length 128"},
      {"odd head_dim", With([](TestModel& m) {
         m.embedding_length = 384;  // 128 heads of 3
         m.head_count = 128;
         m.head_dim = 3;
       }),
       "rope.dimension_count 3 is odd"},
      // Found by gguf_fuzzer_test (a bit flip in block_count): the model
      // layer once reserved memory for block_count layers up front.
      {"absurd block_count", With([](TestModel& m) { m.u32_keys["bitnet-b1.58.block_count"] = 0x7FFFFFFF; }),
       "missing tensor 'blk.2.attn_norm.weight'"},
      {"block_count beyond int", With([](TestModel& m) { m.u32_keys["bitnet-b1.58.block_count"] = 0x80000000u; }),
       "metadata key 'bitnet-b1.58.block_count' = 2147483648 is out of range"},
      {"a tensor the architecture does not have", With([](TestModel& m) {
         m.block_count = 3;
         m.u32_keys["bitnet-b1.58.block_count"] = 2;
       }),
       "unexpected tensor 'blk.2.attn_norm.weight'"},
      {"zero layers", With([](TestModel& m) { m.block_count = 0; }),
       "metadata key 'bitnet-b1.58.block_count' = 0 is out of range"},
      {"missing tensor", With([](TestModel& m) { m.omit = {"blk.1.ffn_up.weight"}; }),
       "missing tensor 'blk.1.ffn_up.weight'"},
      {"missing embeddings", With([](TestModel& m) { m.omit = {"token_embd.weight"}; }),
       "missing tensor 'token_embd.weight'"},
      {"attn_k with attn_q's shape", With([](TestModel& m) { m.shapes["blk.0.attn_k.weight"] = {128, 128}; }),
       "tensor 'blk.0.attn_k.weight' has shape [128, 128], expected [128, 64]"},
      {"ffn_down transposed", With([](TestModel& m) { m.shapes["blk.1.ffn_down.weight"] = {128, 256}; }),
       "tensor 'blk.1.ffn_down.weight' has shape [128, 256], expected [256, 128]"},
      {"norm as a matrix", With([](TestModel& m) { m.shapes["blk.0.attn_norm.weight"] = {128, 1}; }),
       "tensor 'blk.0.attn_norm.weight' has shape [128, 1], expected [128]"},
      {"embeddings for a different vocabulary",
       With([](TestModel& m) { m.shapes["token_embd.weight"] = {128, 9}; }),
       "tensor 'token_embd.weight' has shape [128, 9], expected [128, 8]"},
      {"embeddings in F32", With([](TestModel& m) { m.types["token_embd.weight"] = TensorType::kF32; }),
       "tensor 'token_embd.weight' has type F32, expected F16"},
      {"ternary weight in F16", With([](TestModel& m) { m.types["blk.0.attn_q.weight"] = TensorType::kF16; }),
       "tensor 'blk.0.attn_q.weight' has type F16, expected I2_S"},
      {"wrong output.weight", With([](TestModel& m) {
         m.output_weight = true;
         m.shapes["output.weight"] = {128, 4};
       }),
       "tensor 'output.weight' has shape [128, 4], expected [128, 8]"},
  };
  for (const BadModel& row : rows) {
    INFO("row: " << row.name);
    const std::string message = LoadError(row.spec);
    INFO("message: " << message);
    CHECK(message.rfind("model.gguf: ", 0) == 0);
    CHECK(message.find(row.fragment) != std::string::npos);
  }
}

}  // namespace
}  // namespace bitbrain
