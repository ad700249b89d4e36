// Byte-level BPE with the LLaMA-3 vocabulary (bitnet-model.md section 5), as
// llama.cpp runs it for tokenizer.ggml.model = "gpt2", pre = "llama-bpe".
//
// Encoding: text -> well-formed UTF-8 (ill-formed bytes become U+FFFD, as the
// WHATWG decoder does) -> LLaMA-3 pre-tokens -> for each pre-token, the token
// that spells it if there is one (llama.cpp's ignore_merges), else BPE over
// its bytes, applying the lowest-ranked merge first and equal ranks left to
// right. Only normal tokens come out of Encode: text that spells a special
// token ("<|eot_id|>") stays text. Special tokens (BOS, end of turn) are
// added by the caller where the engine puts them.
#ifndef BITBRAIN_ENGINE_TOKENIZER_TOKENIZER_H_
#define BITBRAIN_ENGINE_TOKENIZER_TOKENIZER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/hash_tables.h"
#include "engine/tokenizer/pretokenizer.h"

namespace bitbrain::gguf {
class File;
}

namespace bitbrain::tokenizer {

class TokenizerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct SpecialTokens {
  int32_t bos = 0;             // <|begin_of_text|>
  int32_t eos = 0;             // <|end_of_text|>
  std::optional<int32_t> eot;  // <|eot_id|>: ends a chat turn
};

// Immutable once built; every method is safe to call from several threads.
class Tokenizer {
 public:
  // `tokens[id]` is a token's text as GGUF stores it: byte-level text (see
  // byte_level.h) for normal tokens, plain text for the others. `merges` are
  // "LEFT RIGHT" pairs of byte-level texts, highest priority first. Throws
  // TokenizerError if the pieces do not make a byte-level BPE vocabulary
  // (a normal token that is not byte-level text, a byte with no token, a merge
  // of unknown tokens or whose result is not a normal token, bad ids).
  Tokenizer(const std::vector<std::string_view>& tokens,
            const std::vector<std::string_view>& merges, const std::vector<TokenType>& types,
            SpecialTokens special);

  // From tokenizer.ggml.* of a GGUF file. BOS, EOS and end of turn come from
  // the *_token_id keys, else from the tokens <|begin_of_text|>,
  // <|end_of_text|> and <|eot_id|>. Throws TokenizerError naming the file.
  static Tokenizer FromGguf(const gguf::File& file);

  // Token ids of `text` (any bytes), without BOS. Thread-safe.
  std::vector<int32_t> Encode(std::string_view text) const;

  // The text of `ids` as well-formed UTF-8 (ill-formed byte sequences become
  // U+FFFD); special tokens are written as their text. Throws TokenizerError
  // for an id out of range.
  std::string Decode(std::span<const int32_t> ids) const;

  // The bytes a token stands for (a piece of UTF-8 text, possibly partial;
  // a special token's text). Throws TokenizerError for an id out of range.
  std::string_view TokenBytes(int32_t id) const;
  TokenType token_type(int32_t id) const;

  int32_t vocab_size() const { return static_cast<int32_t>(types_.size()); }
  const SpecialTokens& special() const { return special_; }

 private:
  // Construction steps: token_bytes_ and token_offsets_ from the texts;
  // normal_tokens_ and token_of_byte_; merges_.
  void StoreTokenBytes(const std::vector<std::string_view>& tokens);
  void IndexNormalTokens();
  void AddMerges(const std::vector<std::string_view>& merges);

  void CheckId(int32_t id) const;
  std::string_view BytesOf(int32_t id) const {
    return std::string_view(token_bytes_).substr(token_offsets_[id],
                                                 token_offsets_[id + 1] - token_offsets_[id]);
  }
  // The normal token spelling `bytes`, or -1.
  int32_t FindNormalToken(std::string_view bytes) const;
  // Appends the BPE tokens of one pre-token to `ids`.
  void EncodePiece(std::string_view piece, std::vector<int32_t>& ids) const;

  std::string token_bytes_;              // all tokens' bytes, in id order
  std::vector<uint32_t> token_offsets_;  // token id's bytes start; one more at the end
  std::vector<TokenType> types_;
  SpecialTokens special_;
  TokenIndex normal_tokens_;  // by their bytes
  std::array<int32_t, 256> token_of_byte_{};
  MergeTable merges_;
  Llama3PreTokenizer pre_tokenizer_;
};

}  // namespace bitbrain::tokenizer

#endif  // BITBRAIN_ENGINE_TOKENIZER_TOKENIZER_H_
