// Tokenizer vocabularies for synthetic models, in the form GGUF stores them
// (tokenizer.ggml.model "gpt2"): byte-level BPE tokens as GPT-2
// byte-to-unicode strings, token types and merges.
#ifndef BITBRAIN_ENGINE_SYNTHETIC_VOCABULARY_H_
#define BITBRAIN_ENGINE_SYNTHETIC_VOCABULARY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bitbrain::synthetic {

inline constexpr int32_t kTokenTypeNormal = 1;
inline constexpr int32_t kTokenTypeControl = 3;

struct Vocabulary {
  std::vector<std::string> tokens;    // tokenizer.ggml.tokens, by id
  std::vector<int32_t> token_types;   // tokenizer.ggml.token_type
  std::vector<std::string> merges;    // tokenizer.ggml.merges: "left right", by rank
  uint32_t bos_id = 0;                // <|begin_of_text|>
  uint32_t eos_id = 0;                // <|end_of_text|>, also the padding token
  uint32_t eot_id = 0;                // <|eot_id|>
};

// The first `count` (<= 256) of LLaMA-3's special tokens, in id order:
// <|begin_of_text|>, <|end_of_text|>, <|reserved_special_token_0..3|>,
// <|start_header_id|>, <|end_header_id|>, <|reserved_special_token_4|>,
// <|eot_id|>, <|reserved_special_token_5..250|> (Meta's llama3 tokenizer.py,
// also microsoft/BitNet gpu/tokenizer.py).
std::vector<std::string> Llama3SpecialTokens(size_t count);

// The real LLaMA-3 vocabulary, as in the official 2B4T file: 128,000 BPE
// tokens and 280,147 merges from the npm package llama3-tokenizer-js (built
// into the binary), then the 256 special tokens (ids 128000..128255).
// Parsed on first use.
const Vocabulary& Llama3Vocabulary();

// A small vocabulary of the same kind for the tiny model (768 tokens): the
// 256 byte tokens, 496 merges learned by byte-level BPE from a built-in
// English text, then the first 16 LLaMA-3 special tokens.
const Vocabulary& TinyVocabulary();

// A vocabulary of BPE tokens (ids from 0) and merges, followed by the first
// n_special (10..256) LLaMA-3 special tokens as control tokens.
Vocabulary MakeVocabulary(std::vector<std::string> bpe_tokens, std::vector<std::string> merges, size_t n_special);

// MakeVocabulary from BPE data: "<n_tokens> <n_merges>" on the first line,
// then one token per line, then one merge per line. Throws
// std::runtime_error naming the line on malformed data.
Vocabulary VocabularyFromBpeData(std::string_view data, size_t n_special);

}  // namespace bitbrain::synthetic

#endif  // BITBRAIN_ENGINE_SYNTHETIC_VOCABULARY_H_
