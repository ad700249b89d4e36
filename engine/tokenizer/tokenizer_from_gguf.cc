// Tokenizer::FromGguf: the tokenizer.ggml.* keys of a GGUF file.
#include <string>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"

namespace bitbrain::tokenizer {
namespace {

// Pre-tokenizer names llama.cpp maps to the LLaMA-3 regex. The official
// BitNet file has no tokenizer.ggml.pre; the model was trained with LLaMA-3's.
bool IsLlama3PreTokenizer(std::string_view name) {
  return name == "llama-bpe" || name == "llama3" || name == "llama-v3";
}

class KeyReader {
 public:
  explicit KeyReader(const gguf::File& file) : file_(file) {}

  TokenizerError Error(const std::string& what) const {
    return TokenizerError(file_.path() + ": " + what);
  }

  const gguf::Value* Find(std::string_view key) const { return file_.Find(key); }

  std::vector<std::string_view> StringArray(std::string_view key) const {
    const gguf::Value* value = Find(key);
    if (value == nullptr) throw Error(std::string(key) + " is missing");
    std::optional<std::vector<std::string_view>> strings = gguf::AsStringArray(*value);
    if (!strings) throw Error(std::string(key) + " is not an array of strings");
    return std::move(*strings);
  }

  // A token id from `key`, else the id of the token spelled `text`.
  std::optional<int32_t> TokenId(std::string_view key, std::string_view text,
                                 const std::vector<std::string_view>& tokens) const {
    if (const gguf::Value* value = Find(key)) {
      const std::optional<uint64_t> id = gguf::AsUint(*value);
      if (!id || *id >= tokens.size()) {
        throw Error(std::string(key) + " is not a token id below " +
                    std::to_string(tokens.size()));
      }
      return static_cast<int32_t>(*id);
    }
    for (size_t id = tokens.size(); id-- > 0;) {  // special tokens are at the end
      if (tokens[id] == text) return static_cast<int32_t>(id);
    }
    return std::nullopt;
  }

 private:
  const gguf::File& file_;
};

}  // namespace

Tokenizer Tokenizer::FromGguf(const gguf::File& file) {
  const KeyReader keys(file);

  const gguf::Value* model = keys.Find("tokenizer.ggml.model");
  if (model == nullptr) throw keys.Error("no tokenizer (tokenizer.ggml.model is missing)");
  const std::string* model_name = gguf::AsString(*model);
  if (model_name == nullptr || *model_name != "gpt2") {
    throw keys.Error("unsupported tokenizer model " +
                     (model_name ? "\"" + *model_name + "\"" : std::string("(not a string)")) +
                     ": only \"gpt2\" (byte-level BPE) is supported");
  }
  if (const gguf::Value* pre = keys.Find("tokenizer.ggml.pre")) {
    const std::string* pre_name = gguf::AsString(*pre);
    if (pre_name == nullptr || !IsLlama3PreTokenizer(*pre_name)) {
      throw keys.Error("unsupported pre-tokenizer " +
                       (pre_name ? "\"" + *pre_name + "\"" : std::string("(not a string)")) +
                       ": only \"llama-bpe\" (LLaMA 3) is supported");
    }
  }

  const std::vector<std::string_view> tokens = keys.StringArray("tokenizer.ggml.tokens");
  const std::vector<std::string_view> merges = keys.StringArray("tokenizer.ggml.merges");

  // Without types every token is normal, as in llama.cpp.
  std::vector<TokenType> types(tokens.size(), TokenType::kNormal);
  if (const gguf::Value* value = keys.Find("tokenizer.ggml.token_type")) {
    const std::optional<std::vector<int64_t>> numbers = gguf::AsIntArray(*value);
    if (!numbers || numbers->size() != tokens.size()) {
      throw keys.Error("tokenizer.ggml.token_type is not an array of " +
                       std::to_string(tokens.size()) + " integers");
    }
    for (size_t id = 0; id < tokens.size(); ++id) {
      const int64_t type = (*numbers)[id];
      if (type < static_cast<int64_t>(TokenType::kNormal) ||
          type > static_cast<int64_t>(TokenType::kByte)) {
        throw keys.Error("token " + std::to_string(id) + " has unknown type " +
                         std::to_string(type));
      }
      types[id] = static_cast<TokenType>(type);
    }
  }

  SpecialTokens special;
  const std::optional<int32_t> bos =
      keys.TokenId("tokenizer.ggml.bos_token_id", "<|begin_of_text|>", tokens);
  const std::optional<int32_t> eos =
      keys.TokenId("tokenizer.ggml.eos_token_id", "<|end_of_text|>", tokens);
  if (!bos) throw keys.Error("no BOS token (tokenizer.ggml.bos_token_id, <|begin_of_text|>)");
  if (!eos) throw keys.Error("no EOS token (tokenizer.ggml.eos_token_id, <|end_of_text|>)");
  special.bos = *bos;
  special.eos = *eos;
  special.eot = keys.TokenId("tokenizer.ggml.eot_token_id", "<|eot_id|>", tokens);

  try {
    return Tokenizer(tokens, merges, types, special);
  } catch (const TokenizerError& e) {
    throw keys.Error(e.what());
  }
}

}  // namespace bitbrain::tokenizer
