// The tiny model's vocabulary: byte-level BPE learned from a short built-in
// text, so that its merges look like a real tokenizer's ("Ġ t", "h e", ...)
// and exercise the same tokenizer code paths as LLaMA-3's.
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/synthetic/vocabulary.h"
#include "engine/tokenizer/byte_level.h"

namespace bitbrain::synthetic {
namespace {

constexpr size_t kMerges = 496;
constexpr size_t kSpecialTokens = 16;  // 256 + 496 + 16 = 768 tokens

// Original text written for this purpose.
constexpr std::string_view kTrainingText = R"(
The harbour town woke slowly. At six o'clock the first boats left the quay, and by seven
the market square was full of people selling bread, fish, apples and warm coffee. Nobody
in the town owned a clock that agreed with any other clock, so the church bell decided
when the day began, and the church bell was usually late.

Anna kept the small bookshop beside the bakery. She opened the door at eight, swept the
steps, and put a table of second-hand books outside: old maps, travel stories, a few
cookery books with flour still pressed between their pages. "Everything on the table costs
two coins," she told the children, "and the stories inside are free."

In the afternoon the wind turned and the sea grew grey. The fishermen came back early,
counting their crates and complaining about the weather, the prices and each other. Their
children ran along the harbour wall, shouting numbers at the waves: 1, 2, 3, 10, 100, 2024.
A tall stranger with a leather bag walked up from the station and asked for a room.

"There is one room above the bookshop," said Anna. "It has a window, a bed, a table and
a very loud radiator. Breakfast is whatever the bakery has left over."

The stranger said that would do. He was a teacher, he explained, travelling from town to
town to write down the songs that people still remembered. Some songs were about the sea,
some about love, and some about bad weather, which in this part of the country was the
same thing as love. He wrote quickly, in a notebook with a green cover, and every evening
he read the new songs aloud in the kitchen while the kettle boiled.

By the end of the week half the town was visiting the bookshop after dinner. The baker
brought rolls, the fishermen brought stories that grew longer every night, and the
children learned the songs by heart. When the stranger finally left, on a bright and
windy morning, he gave Anna the green notebook. "Keep it on the table outside," he said.
"Two coins for the book. The songs inside are free."

Questions for readers: Why was the church bell late? What would you write in a notebook
like that? How many songs can a small town remember, if everybody remembers just one?
)";

std::string ByteLevel(uint8_t byte) { return tokenizer::ByteLevelEncode(std::string(1, static_cast<char>(byte))); }

// The 256 byte tokens in GPT-2's order, which is LLaMA-3's ids 0..255: by
// the code point of their byte-level character (printable bytes first).
// UTF-8 strings compare in code point order.
std::vector<std::string> ByteTokens() {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(ByteLevel(static_cast<uint8_t>(b)));
  std::sort(tokens.begin(), tokens.end());
  return tokens;
}

// Splits text into pre-tokens roughly as LLaMA-3's pre-tokenizer does for
// plain English: a word with its leading space, up to three digits, a run of
// punctuation with its leading space, a run of whitespace.
std::vector<std::string> PreTokenize(std::string_view text) {
  auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\''; };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto is_space = [](char c) { return c == ' ' || c == '\n'; };
  auto is_other = [&](char c) { return !is_letter(c) && !is_digit(c) && !is_space(c); };
  std::vector<std::string> pieces;
  for (size_t i = 0; i < text.size();) {
    const size_t start = i;
    char c = text[i];
    // A single space joins the word or punctuation after it.
    if (c == ' ' && i + 1 < text.size() && (is_letter(text[i + 1]) || is_other(text[i + 1]))) c = text[++i];
    if (is_letter(c)) {
      while (i < text.size() && is_letter(text[i])) ++i;
    } else if (is_digit(c)) {
      while (i < text.size() && is_digit(text[i]) && i - start < 3) ++i;
    } else if (is_space(c)) {
      while (i < text.size() && is_space(text[i])) ++i;
    } else {
      while (i < text.size() && is_other(text[i])) ++i;
    }
    pieces.emplace_back(text.substr(start, i - start));
  }
  return pieces;
}

// Learns `n_merges` merges: repeatedly joins the most frequent adjacent pair
// of symbols (ties: the smallest pair) whose join is not yet a token.
std::pair<std::vector<std::string>, std::vector<std::string>> LearnBpe(std::string_view text, size_t n_merges) {
  std::vector<std::string> tokens = ByteTokens();
  std::set<std::string> known(tokens.begin(), tokens.end());

  std::map<std::string, size_t> piece_counts;
  for (const std::string& piece : PreTokenize(text)) ++piece_counts[piece];
  std::vector<std::pair<std::vector<std::string>, size_t>> words;  // symbols, count
  for (const auto& [piece, count] : piece_counts) {
    std::vector<std::string> symbols;
    for (const char c : piece) symbols.push_back(ByteLevel(static_cast<uint8_t>(c)));
    words.emplace_back(std::move(symbols), count);
  }

  std::vector<std::string> merges;
  while (merges.size() < n_merges) {
    std::map<std::pair<std::string, std::string>, size_t> pair_counts;
    for (const auto& [symbols, count] : words) {
      for (size_t i = 0; i + 1 < symbols.size(); ++i) pair_counts[{symbols[i], symbols[i + 1]}] += count;
    }
    const std::pair<std::string, std::string>* best = nullptr;
    size_t best_count = 0;
    for (const auto& [pair, count] : pair_counts) {
      if (count > best_count && !known.contains(pair.first + pair.second)) {
        best = &pair;
        best_count = count;
      }
    }
    if (best == nullptr) throw std::logic_error("the tiny vocabulary's training text is too short");
    const std::string joined = best->first + best->second;
    for (auto& [symbols, count] : words) {
      std::vector<std::string> merged;
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == best->first && symbols[i + 1] == best->second) {
          merged.push_back(joined);
          ++i;
        } else {
          merged.push_back(symbols[i]);
        }
      }
      symbols = std::move(merged);
    }
    merges.push_back(best->first + " " + best->second);
    tokens.push_back(joined);
    known.insert(joined);
  }
  return {std::move(tokens), std::move(merges)};
}

}  // namespace

const Vocabulary& TinyVocabulary() {
  static const Vocabulary vocab = [] {
    auto [tokens, merges] = LearnBpe(kTrainingText, kMerges);
    return MakeVocabulary(std::move(tokens), std::move(merges), kSpecialTokens);
  }();
  return vocab;
}

}  // namespace bitbrain::synthetic
