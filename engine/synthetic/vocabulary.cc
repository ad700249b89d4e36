#include "engine/synthetic/vocabulary.h"

#include <charconv>
#include <stdexcept>
#include <unordered_set>

#include "engine/synthetic/llama3_bpe_data.h"

namespace bitbrain::synthetic {
namespace {

[[noreturn]] void BadData(size_t line, const std::string& what) {
  throw std::runtime_error("vocabulary data, line " + std::to_string(line) + ": " + what);
}

// Splits data into lines (each ending in '\n').
class LineReader {
 public:
  explicit LineReader(std::string_view data) : data_(data) {}

  std::string_view Next() {
    ++line_;
    const size_t end = data_.find('\n', at_);
    if (end == std::string_view::npos) BadData(line_, "missing (data truncated)");
    const std::string_view line = data_.substr(at_, end - at_);
    at_ = end + 1;
    return line;
  }
  size_t line() const { return line_; }
  bool done() const { return at_ == data_.size(); }

 private:
  std::string_view data_;
  size_t at_ = 0;
  size_t line_ = 0;
};

size_t ParseCount(std::string_view text, size_t line) {
  size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    BadData(line, "expected a count, got '" + std::string(text) + "'");
  }
  return value;
}

uint32_t IdOf(const Vocabulary& vocab, std::string_view token) {
  for (size_t id = vocab.tokens.size(); id-- > 0;) {
    if (vocab.tokens[id] == token) return static_cast<uint32_t>(id);
  }
  throw std::runtime_error("vocabulary has no token " + std::string(token));
}

}  // namespace

std::vector<std::string> Llama3SpecialTokens(size_t count) {
  std::vector<std::string> names = {
      "<|begin_of_text|>",
      "<|end_of_text|>",
      "<|reserved_special_token_0|>",
      "<|reserved_special_token_1|>",
      "<|reserved_special_token_2|>",
      "<|reserved_special_token_3|>",
      "<|start_header_id|>",
      "<|end_header_id|>",
      "<|reserved_special_token_4|>",
      "<|eot_id|>",
  };
  for (int i = 5; names.size() < 256; ++i) names.push_back("<|reserved_special_token_" + std::to_string(i) + "|>");
  if (count > names.size()) throw std::invalid_argument("LLaMA-3 has 256 special tokens");
  names.resize(count);
  return names;
}

Vocabulary VocabularyFromBpeData(std::string_view data, size_t n_special) {
  LineReader lines(data);
  const std::string_view header = lines.Next();
  const size_t space = header.find(' ');
  if (space == std::string_view::npos) BadData(1, "expected '<n_tokens> <n_merges>'");
  const size_t n_tokens = ParseCount(header.substr(0, space), 1);
  const size_t n_merges = ParseCount(header.substr(space + 1), 1);
  // Each token and merge takes at least two bytes: a hostile count fails
  // here rather than in a huge allocation.
  if (n_tokens > data.size() / 2 || n_merges > data.size() / 2) BadData(1, "counts exceed the data");

  std::vector<std::string> tokens;
  tokens.reserve(n_tokens + n_special);
  std::unordered_set<std::string_view> known(n_tokens);
  for (size_t i = 0; i < n_tokens; ++i) {
    const std::string_view token = lines.Next();
    if (token.empty() || token.find(' ') != std::string_view::npos) BadData(lines.line(), "bad token");
    if (!known.insert(token).second) BadData(lines.line(), "duplicate token '" + std::string(token) + "'");
    tokens.emplace_back(token);
  }
  // A merge joins two tokens into a third one.
  std::vector<std::string> merges;
  merges.reserve(n_merges);
  for (size_t i = 0; i < n_merges; ++i) {
    const std::string_view merge = lines.Next();
    const size_t split = merge.find(' ');
    const std::string_view left = merge.substr(0, split);
    const std::string_view right = split == std::string_view::npos ? "" : merge.substr(split + 1);
    if (!known.contains(left) || !known.contains(right) || !known.contains(std::string(left) + std::string(right))) {
      BadData(lines.line(), "'" + std::string(merge) + "' is not a merge of two tokens into a token");
    }
    merges.emplace_back(merge);
  }
  if (!lines.done()) BadData(lines.line() + 1, "unexpected data after the merges");
  return MakeVocabulary(std::move(tokens), std::move(merges), n_special);
}

Vocabulary MakeVocabulary(std::vector<std::string> bpe_tokens, std::vector<std::string> merges, size_t n_special) {
  if (n_special < 10) throw std::invalid_argument("a vocabulary needs the first 10 special tokens (up to <|eot_id|>)");
  Vocabulary vocab;
  vocab.tokens = std::move(bpe_tokens);
  vocab.merges = std::move(merges);
  vocab.token_types.assign(vocab.tokens.size(), kTokenTypeNormal);
  for (std::string& special : Llama3SpecialTokens(n_special)) {
    vocab.tokens.push_back(std::move(special));
    vocab.token_types.push_back(kTokenTypeControl);
  }
  vocab.bos_id = IdOf(vocab, "<|begin_of_text|>");
  vocab.eos_id = IdOf(vocab, "<|end_of_text|>");
  vocab.eot_id = IdOf(vocab, "<|eot_id|>");
  return vocab;
}

const Vocabulary& Llama3Vocabulary() {
  static const Vocabulary vocab = VocabularyFromBpeData(kLlama3BpeData, 256);
  return vocab;
}

}  // namespace bitbrain::synthetic
