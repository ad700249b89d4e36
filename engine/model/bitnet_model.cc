#include "engine/model/bitnet_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace bitbrain {
namespace {

using gguf::GgufError;
using gguf::TensorInfo;
using gguf::TensorType;

// Both names denote the same graph (April-2025 builds wrote "bitnet-25").
constexpr std::string_view kArchitectures[] = {"bitnet-b1.58", "bitnet-25"};

std::string TypeName(TensorType type) {
  return std::string(gguf::TensorTypeName(static_cast<uint32_t>(type)).value_or("?"));
}

std::string ShapeString(const std::vector<uint64_t>& ne) {
  std::string out = "[";
  for (size_t i = 0; i < ne.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(ne[i]);
  }
  return out + "]";
}

[[noreturn]] void ModelError(const gguf::File& file, const std::string& what) {
  throw GgufError(file.path() + ": " + what);
}

// Reads the hyperparameters of `file`; every error names the file and key.
class ConfigReader {
 public:
  explicit ConfigReader(const gguf::File& file) : file_(file) {}

  [[noreturn]] void Fail(const std::string& what) const { ModelError(file_, what); }

  const gguf::Value& Require(const std::string& key) const {
    const gguf::Value* value = file_.Find(key);
    if (value == nullptr) Fail("missing metadata key '" + key + "'");
    return *value;
  }

  // A positive integer that fits in an int.
  int PositiveInt(const std::string& key) const { return CheckPositive(key, gguf::AsUint(Require(key))); }

  int CheckPositive(const std::string& key, std::optional<uint64_t> v) const {
    if (!v) Fail("metadata key '" + key + "' is not an unsigned integer");
    if (*v == 0 || *v > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
      Fail("metadata key '" + key + "' = " + std::to_string(*v) + " is out of range");
    }
    return static_cast<int>(*v);
  }

  float PositiveFloat(const std::string& key) const {
    const std::optional<double> v = gguf::AsFloat(Require(key));
    if (!v) Fail("metadata key '" + key + "' is not a float");
    const auto f = static_cast<float>(*v);  // an f64 key may not fit
    if (!(f > 0) || !std::isfinite(f)) {
      Fail("metadata key '" + key + "' = " + std::to_string(*v) + " is not a positive float");
    }
    return f;
  }

 private:
  const gguf::File& file_;
};

ModelConfig ReadConfig(const gguf::File& file) {
  ConfigReader r(file);
  ModelConfig c;
  const std::string* arch = gguf::AsString(r.Require("general.architecture"));
  if (arch == nullptr) r.Fail("metadata key 'general.architecture' is not a string");
  if (std::find(std::begin(kArchitectures), std::end(kArchitectures), *arch) == std::end(kArchitectures)) {
    r.Fail("unsupported architecture '" + *arch + "' (expected bitnet-b1.58 or bitnet-25)");
  }
  c.architecture = *arch;
  const std::string p = c.architecture + ".";

  // vocab_size is optional: the official file states it, others imply it by
  // the length of the token list.
  if (file.Find(p + "vocab_size") != nullptr) {
    c.vocab_size = r.PositiveInt(p + "vocab_size");
  } else {
    const gguf::Value* tokens = file.Find("tokenizer.ggml.tokens");
    if (tokens == nullptr) r.Fail("missing metadata key '" + p + "vocab_size' (and no tokenizer.ggml.tokens)");
    if (!tokens->is_array()) r.Fail("metadata key 'tokenizer.ggml.tokens' is not an array");
    c.vocab_size = r.CheckPositive("tokenizer.ggml.tokens", tokens->elements.size());
  }
  c.context_length = r.PositiveInt(p + "context_length");
  c.embedding_length = r.PositiveInt(p + "embedding_length");
  c.block_count = r.PositiveInt(p + "block_count");
  c.feed_forward_length = r.PositiveInt(p + "feed_forward_length");
  c.head_count = r.PositiveInt(p + "attention.head_count");
  c.head_count_kv = r.PositiveInt(p + "attention.head_count_kv");
  c.head_dim = r.PositiveInt(p + "rope.dimension_count");
  c.rms_epsilon = r.PositiveFloat(p + "attention.layer_norm_rms_epsilon");
  c.rope_freq_base = r.PositiveFloat(p + "rope.freq_base");

  if (c.head_count % c.head_count_kv != 0) {
    r.Fail("head_count " + std::to_string(c.head_count) + " is not a multiple of head_count_kv " +
           std::to_string(c.head_count_kv));
  }
  if (static_cast<int64_t>(c.head_dim) * c.head_count != c.embedding_length) {
    r.Fail("rope.dimension_count " + std::to_string(c.head_dim) + " x head_count " +
           std::to_string(c.head_count) + " != embedding_length " + std::to_string(c.embedding_length));
  }
  if (c.head_dim % 2 != 0) r.Fail("rope.dimension_count " + std::to_string(c.head_dim) + " is odd");
  return c;
}

// Looks tensors up by name and checks their type and shape, remembering
// which ones were bound so that leftovers can be reported.
class TensorBinder {
 public:
  explicit TensorBinder(const gguf::File& file) : file_(file) {}

  const TensorInfo* Bind(const std::string& name, TensorType type, std::vector<uint64_t> shape) {
    const TensorInfo* t = file_.FindTensor(name);
    if (t == nullptr) Fail("missing tensor '" + name + "'");
    Check(*t, type, shape);
    bound_.insert(t);
    return t;
  }

  const TensorInfo* BindOptional(const std::string& name, TensorType type, std::vector<uint64_t> shape) {
    if (file_.FindTensor(name) == nullptr) return nullptr;
    return Bind(name, type, std::move(shape));
  }

  // Every tensor of the file must belong to the model.
  void CheckAllBound() const {
    for (const TensorInfo& t : file_.tensors()) {
      if (bound_.count(&t) == 0) Fail("unexpected tensor '" + t.name + "'");
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const { ModelError(file_, what); }

  void Check(const TensorInfo& t, TensorType type, const std::vector<uint64_t>& shape) const {
    if (t.type != type) {
      Fail("tensor '" + t.name + "' has type " + TypeName(t.type) + ", expected " + TypeName(type));
    }
    const std::vector<uint64_t> actual(t.ne.begin(), t.ne.begin() + t.n_dims);
    if (actual != shape) {
      Fail("tensor '" + t.name + "' has shape " + ShapeString(actual) + ", expected " + ShapeString(shape));
    }
  }

  const gguf::File& file_;
  std::unordered_set<const TensorInfo*> bound_;
};

ModelTensors BindTensors(const gguf::File& file, const ModelConfig& c) {
  const uint64_t hidden = c.embedding_length;
  const uint64_t kv_dim = static_cast<uint64_t>(c.head_dim) * c.head_count_kv;
  const uint64_t ffn = c.feed_forward_length;
  const uint64_t vocab = c.vocab_size;
  constexpr TensorType kF32 = TensorType::kF32;
  constexpr TensorType kTernary = TensorType::kI2_S;

  TensorBinder b(file);
  ModelTensors m;
  m.token_embd = b.Bind("token_embd.weight", TensorType::kF16, {hidden, vocab});
  m.output_norm = b.Bind("output_norm.weight", kF32, {hidden});
  // The official file ties the LM head to the embeddings.
  m.output = b.BindOptional("output.weight", TensorType::kF16, {hidden, vocab});
  if (m.output == nullptr) m.output = m.token_embd;
  // No reserve(block_count): a hostile count must not allocate; a file
  // without that many layers fails at the first missing tensor.
  for (int i = 0; i < c.block_count; ++i) {
    const std::string blk = "blk." + std::to_string(i) + ".";
    LayerTensors l;
    l.attn_norm = b.Bind(blk + "attn_norm.weight", kF32, {hidden});
    l.attn_q = b.Bind(blk + "attn_q.weight", kTernary, {hidden, hidden});
    l.attn_k = b.Bind(blk + "attn_k.weight", kTernary, {hidden, kv_dim});
    l.attn_v = b.Bind(blk + "attn_v.weight", kTernary, {hidden, kv_dim});
    l.attn_output = b.Bind(blk + "attn_output.weight", kTernary, {hidden, hidden});
    l.attn_sub_norm = b.Bind(blk + "attn_sub_norm.weight", kF32, {hidden});
    l.ffn_norm = b.Bind(blk + "ffn_norm.weight", kF32, {hidden});
    l.ffn_gate = b.Bind(blk + "ffn_gate.weight", kTernary, {hidden, ffn});
    l.ffn_up = b.Bind(blk + "ffn_up.weight", kTernary, {hidden, ffn});
    l.ffn_down = b.Bind(blk + "ffn_down.weight", kTernary, {ffn, hidden});
    l.ffn_sub_norm = b.Bind(blk + "ffn_sub_norm.weight", kF32, {ffn});
    m.layers.push_back(l);
  }
  b.CheckAllBound();
  return m;
}

}  // namespace

BitnetModel BitnetModel::FromFile(const gguf::File& file) {
  BitnetModel model;
  model.config = ReadConfig(file);
  model.tensors = BindTensors(file, model.config);
  return model;
}

}  // namespace bitbrain
