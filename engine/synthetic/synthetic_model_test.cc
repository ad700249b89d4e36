// Synthetic model files: the 2B4T plan without writing 1.2 GB, the tiny and
// small files built by Bazel (keys, tensors, loading as a BitNet model),
// determinism, the default model's location.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/model/bitnet_model.h"
#include "engine/synthetic/default_model.h"
#include "engine/synthetic/synthetic_model.h"
#include "kernels/formats/i2s.h"

namespace bitbrain::synthetic {
namespace {

using gguf::TensorType;
using gguf::ValueType;

const SyntheticConfig& Config(std::string_view name) {
  const SyntheticConfig* config = FindConfig(name);
  REQUIRE(config != nullptr);
  return *config;
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_CASE("The 2b4t plan has the official tensors, shapes and data size") {
  const std::vector<TensorSpec> plan = TensorPlan(Config("2b4t"));
  const PlanSummary summary = Summarize(plan);
  CHECK(summary.tensors == 332);
  CHECK(summary.i2s_tensors == 210);
  CHECK(summary.f32_tensors == 121);
  CHECK(summary.f16_tensors == 1);
  CHECK(summary.data_bytes == 1179449920);

  auto find = [&](const std::string& name) -> const TensorSpec& {
    for (const TensorSpec& t : plan) {
      if (t.name == name) return t;
    }
    FAIL("no tensor " << name);
    return plan.front();
  };
  CHECK(find("token_embd.weight").ne == std::vector<uint64_t>{2560, 128256});
  CHECK(find("token_embd.weight").type == TensorType::kF16);
  CHECK(find("output_norm.weight").ne == std::vector<uint64_t>{2560});
  CHECK(find("blk.29.attn_q.weight").ne == std::vector<uint64_t>{2560, 2560});
  CHECK(find("blk.29.attn_k.weight").ne == std::vector<uint64_t>{2560, 640});
  CHECK(find("blk.29.attn_v.weight").ne == std::vector<uint64_t>{2560, 640});
  CHECK(find("blk.29.attn_output.weight").ne == std::vector<uint64_t>{2560, 2560});
  CHECK(find("blk.29.ffn_gate.weight").ne == std::vector<uint64_t>{2560, 6912});
  CHECK(find("blk.29.ffn_up.weight").ne == std::vector<uint64_t>{2560, 6912});
  CHECK(find("blk.29.ffn_down.weight").ne == std::vector<uint64_t>{6912, 2560});
  CHECK(find("blk.29.ffn_sub_norm.weight").ne == std::vector<uint64_t>{6912});
  CHECK(find("blk.29.attn_sub_norm.weight").type == TensorType::kF32);
  CHECK(!std::any_of(plan.begin(), plan.end(), [](const TensorSpec& t) { return t.name == "output.weight"; }));

  // The official order: sorted Hugging Face names.
  CHECK(plan[0].name == "token_embd.weight");
  CHECK(plan[1].name == "blk.0.attn_norm.weight");
  CHECK(plan[2].name == "blk.0.ffn_down.weight");
  CHECK(plan[11].name == "blk.0.attn_v.weight");
  CHECK(plan[12].name == "blk.1.attn_norm.weight");
  CHECK(plan[23].name == "blk.10.attn_norm.weight");
  CHECK(plan.back().name == "output_norm.weight");
}

TEST_CASE("Every config is legal for I2_S and keeps GQA") {
  for (const std::string_view name : ConfigNames()) {
    const SyntheticConfig& config = Config(name);
    CAPTURE(name);
    CHECK(config.head_count > config.head_count_kv);
    CHECK(config.head_count % config.head_count_kv == 0);
    CHECK(config.embedding_length % config.head_count == 0);
    for (const TensorSpec& t : TensorPlan(config)) {
      if (t.type == TensorType::kI2_S) CHECK(t.ne[0] % i2s::kBlockElements == 0);
    }
  }
  CHECK(FindConfig("huge") == nullptr);
}

// The keys of the official file, in order, with their types.
const std::pair<const char*, ValueType> kKeys[] = {
    {"general.architecture", ValueType::kString},
    {"general.name", ValueType::kString},
    {"bitnet-b1.58.vocab_size", ValueType::kU32},
    {"bitnet-b1.58.context_length", ValueType::kU32},
    {"bitnet-b1.58.embedding_length", ValueType::kU32},
    {"bitnet-b1.58.block_count", ValueType::kU32},
    {"bitnet-b1.58.feed_forward_length", ValueType::kU32},
    {"bitnet-b1.58.rope.dimension_count", ValueType::kU32},
    {"bitnet-b1.58.attention.head_count", ValueType::kU32},
    {"bitnet-b1.58.attention.head_count_kv", ValueType::kU32},
    {"tokenizer.ggml.add_bos_token", ValueType::kBool},
    {"bitnet-b1.58.attention.layer_norm_rms_epsilon", ValueType::kF32},
    {"bitnet-b1.58.rope.freq_base", ValueType::kF32},
    {"general.file_type", ValueType::kU32},
    {"tokenizer.ggml.model", ValueType::kString},
    {"tokenizer.ggml.tokens", ValueType::kArray},
    {"tokenizer.ggml.token_type", ValueType::kArray},
    {"tokenizer.ggml.merges", ValueType::kArray},
    {"tokenizer.ggml.bos_token_id", ValueType::kU32},
    {"tokenizer.ggml.eos_token_id", ValueType::kU32},
    {"tokenizer.ggml.padding_token_id", ValueType::kU32},
    {"tokenizer.ggml.eot_token_id", ValueType::kU32},
    {"general.quantization_version", ValueType::kU32},
};

uint64_t U32(const gguf::File& file, const std::string& key) {
  const gguf::Value* value = file.Find(key);
  REQUIRE(value != nullptr);
  REQUIRE(value->type == ValueType::kU32);
  return *gguf::AsUint(*value);
}

// The built file against its plan and the official file's layout.
void CheckModelFile(const std::string& path, const SyntheticConfig& config) {
  CAPTURE(path);
  const gguf::File file = gguf::File::Open(path);
  CHECK(file.version() == 3);
  CHECK(file.alignment() == 32);

  REQUIRE(file.metadata().size() == std::size(kKeys));
  for (size_t i = 0; i < std::size(kKeys); ++i) {
    CHECK(file.metadata()[i].first == kKeys[i].first);
    CHECK(file.metadata()[i].second.type == kKeys[i].second);
  }
  CHECK(file.Find("general.alignment") == nullptr);
  CHECK(file.Find("tokenizer.ggml.pre") == nullptr);
  CHECK(*gguf::AsString(*file.Find("general.architecture")) == "bitnet-b1.58");
  CHECK(*gguf::AsString(*file.Find("tokenizer.ggml.model")) == "gpt2");
  CHECK(U32(file, "general.file_type") == 40);
  CHECK(U32(file, "general.quantization_version") == 2);
  CHECK(*gguf::AsBool(*file.Find("tokenizer.ggml.add_bos_token")));
  CHECK(file.Find("tokenizer.ggml.tokens")->element_type == ValueType::kString);
  CHECK(file.Find("tokenizer.ggml.token_type")->element_type == ValueType::kI32);
  CHECK(file.Find("tokenizer.ggml.merges")->element_type == ValueType::kString);
  const auto tokens = *gguf::AsStringArray(*file.Find("tokenizer.ggml.tokens"));
  CHECK(U32(file, "bitnet-b1.58.vocab_size") == tokens.size());
  CHECK(tokens[U32(file, "tokenizer.ggml.bos_token_id")] == "<|begin_of_text|>");
  CHECK(tokens[U32(file, "tokenizer.ggml.eos_token_id")] == "<|end_of_text|>");
  CHECK(tokens[U32(file, "tokenizer.ggml.padding_token_id")] == "<|end_of_text|>");
  CHECK(tokens[U32(file, "tokenizer.ggml.eot_token_id")] == "<|eot_id|>");

  const std::vector<TensorSpec> plan = TensorPlan(config);
  REQUIRE(file.tensors().size() == plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    const gguf::TensorInfo& t = file.tensors()[i];
    CHECK(t.name == plan[i].name);
    CHECK(t.type == plan[i].type);
    CHECK(std::vector<uint64_t>(t.ne.begin(), t.ne.begin() + t.n_dims) == plan[i].ne);
    if (t.type == TensorType::kI2_S) {
      CHECK(i2s::Scale(t.data, t.n_elements) > 0);
      CHECK(i2s::FindInvalidCode(t.data, t.n_elements) == -1);
    }
  }
  CHECK(file.data_size() == Summarize(plan).data_bytes);

  const BitnetModel model = BitnetModel::FromFile(file);
  CHECK(model.config.architecture == "bitnet-b1.58");
  CHECK(model.config.vocab_size == static_cast<int>(tokens.size()));
  CHECK(model.config.embedding_length == static_cast<int>(config.embedding_length));
  CHECK(model.config.block_count == static_cast<int>(config.block_count));
  CHECK(model.config.feed_forward_length == static_cast<int>(config.feed_forward_length));
  CHECK(model.config.head_count == static_cast<int>(config.head_count));
  CHECK(model.config.head_count_kv == static_cast<int>(config.head_count_kv));
  CHECK(model.config.head_dim == static_cast<int>(config.embedding_length / config.head_count));
  CHECK(model.config.context_length == static_cast<int>(config.context_length));
  CHECK(model.tensors.output == model.tensors.token_embd);  // tied head
}

TEST_CASE("The tiny and small files load as BitNet models") {
  CheckModelFile("engine/synthetic/tiny.gguf", Config("tiny"));
  CheckModelFile("engine/synthetic/small.gguf", Config("small"));
  const gguf::File small = gguf::File::Open("engine/synthetic/small.gguf");
  CHECK(gguf::AsStringArray(*small.Find("tokenizer.ggml.merges"))->size() == 280147);
}

TEST_CASE("The same seed gives the same bytes, another seed others") {
  const std::vector<uint8_t> tiny = MakeModelWriter(Config("tiny"), 1).Serialize();
  CHECK(MakeModelWriter(Config("tiny"), 1).Serialize() == tiny);
  // The build's file was made by another program (the genrule's tool).
  CHECK(ReadFile("engine/synthetic/tiny.gguf") == tiny);
  const std::vector<uint8_t> other = MakeModelWriter(Config("tiny"), 2).Serialize();
  REQUIRE(other.size() == tiny.size());
  const gguf::File a = gguf::File::FromBytes(tiny.data(), tiny.size(), "seed 1");
  const gguf::File b = gguf::File::FromBytes(other.data(), other.size(), "seed 2");
  for (size_t i = 0; i < a.tensors().size(); ++i) {
    const gguf::TensorInfo& t = a.tensors()[i];
    CAPTURE(t.name);
    CHECK(!std::equal(t.data, t.data + t.n_bytes, b.tensors()[i].data));
  }
}

TEST_CASE("The default model lives in models/ at the repository root") {
  ::setenv("BUILD_WORKSPACE_DIRECTORY", "/some/repo", 1);
  CHECK(DefaultModelPath() == "/some/repo/models/synthetic-2b4t-seed1-v1.gguf");
  ::unsetenv("BUILD_WORKSPACE_DIRECTORY");
  CHECK(DefaultModelPath() == "./models/synthetic-2b4t-seed1-v1.gguf");

  // A cached model is used as it is (generating one takes 1.2 GB: not here).
  const std::filesystem::path repo = std::filesystem::path(std::getenv("TEST_TMPDIR")) / "repo";
  std::filesystem::create_directories(repo / "models");
  std::ofstream(repo / "models" / "synthetic-2b4t-seed1-v1.gguf") << "cached";
  ::setenv("BUILD_WORKSPACE_DIRECTORY", repo.c_str(), 1);
  CHECK(EnsureDefaultModel() == (repo / "models" / "synthetic-2b4t-seed1-v1.gguf").string());
  CHECK(std::filesystem::file_size(repo / "models" / "synthetic-2b4t-seed1-v1.gguf") == 6);
  ::unsetenv("BUILD_WORKSPACE_DIRECTORY");
}

}  // namespace
}  // namespace bitbrain::synthetic
