// The LLaMA-3 pre-tokenizer: splits text into the pieces BPE works on, with
// the regex of bitnet-model.md section 5 compiled by PCRE2 (JIT).
//
// The spec's regex is written for Python/Rust engines; the conformance oracle
// (llama3-tokenizer-js) runs it as a JavaScript /u regex, whose meaning we
// reproduce exactly: the contractions are ASCII-case-insensitive only, and
// \s is JavaScript's set (\t \n \v \f \r, U+2028, U+2029, U+FEFF and the Zs
// category: U+0085 is not whitespace). \p{L} and \p{N} come from PCRE2's
// Unicode tables.
#ifndef BITBRAIN_ENGINE_TOKENIZER_PRETOKENIZER_H_
#define BITBRAIN_ENGINE_TOKENIZER_PRETOKENIZER_H_

#include <memory>
#include <string_view>
#include <vector>

namespace bitbrain::tokenizer {

class Llama3PreTokenizer {
 public:
  Llama3PreTokenizer();
  ~Llama3PreTokenizer();
  Llama3PreTokenizer(Llama3PreTokenizer&&) noexcept;
  Llama3PreTokenizer& operator=(Llama3PreTokenizer&&) noexcept;

  // Appends to `pieces` the pre-tokens of `text` (views into it), which must
  // be well-formed UTF-8. Together they cover `text` exactly: every character
  // belongs to one of the regex's classes. Thread-safe.
  void Split(std::string_view text, std::vector<std::string_view>& pieces) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace bitbrain::tokenizer

#endif  // BITBRAIN_ENGINE_TOKENIZER_PRETOKENIZER_H_
