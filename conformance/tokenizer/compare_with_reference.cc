// Tokenizes a corpus with the engine and compares every document's ids with
// the reference's (reference_tokenize.mjs):
//   compare_with_reference MODEL.gguf CORPUS IDS
// On the first difference, prints the document, the position and the tokens
// around it from both sides, and exits 1. Also checks that decoding gives
// back each document's text (its bytes with ill-formed UTF-8 replaced).
#include <algorithm>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace {

using bitbrain::tokenizer::Tokenizer;

std::string ReadFile(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read ") + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Documents of the corpus format: "<byte count>\n<bytes>" repeated.
std::vector<std::string_view> SplitCorpus(std::string_view corpus) {
  std::vector<std::string_view> documents;
  size_t offset = 0;
  while (offset < corpus.size()) {
    const size_t newline = corpus.find('\n', offset);
    if (newline == std::string_view::npos) {
      throw std::runtime_error("corpus: no length line at byte " + std::to_string(offset));
    }
    const std::string digits(corpus.substr(offset, newline - offset));
    size_t used = 0;
    const unsigned long long size = digits.empty() ? 0 : std::stoull(digits, &used);
    if (digits.empty() || used != digits.size() || size > corpus.size() - newline - 1) {
      throw std::runtime_error("corpus: bad document length at byte " + std::to_string(offset));
    }
    documents.push_back(corpus.substr(newline + 1, size));
    offset = newline + 1 + size;
  }
  return documents;
}

std::vector<std::vector<int32_t>> ReadIds(const std::string& text) {
  std::vector<std::vector<int32_t>> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream numbers(line);
    std::vector<int32_t>& ids = lines.emplace_back();
    int32_t id;
    while (numbers >> id) ids.push_back(id);
    if (!numbers.eof()) {
      throw std::runtime_error("ids: not a number in line " + std::to_string(lines.size()));
    }
  }
  return lines;
}

void PrintTokens(const Tokenizer& tokenizer, const char* side, const std::vector<int32_t>& ids,
                 size_t from, size_t to) {
  std::printf("  %s:", side);
  for (size_t i = from; i < std::min(to, ids.size()); ++i) {
    const bool known = ids[i] >= 0 && ids[i] < tokenizer.vocab_size();
    const std::string piece =
        known ? bitbrain::tokenizer::EscapeForDisplay(tokenizer.TokenBytes(ids[i])) : "?";
    std::printf(" %d'%s'", ids[i], piece.c_str());
  }
  std::printf("\n");
}

int Run(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: compare_with_reference MODEL.gguf CORPUS IDS\n");
    return 2;
  }
  const bitbrain::gguf::File file = bitbrain::gguf::File::Open(argv[1]);
  const Tokenizer tokenizer = Tokenizer::FromGguf(file);
  const std::string corpus = ReadFile(argv[2]);
  const std::vector<std::string_view> documents = SplitCorpus(corpus);
  const std::vector<std::vector<int32_t>> expected = ReadIds(ReadFile(argv[3]));
  if (expected.size() != documents.size()) {
    std::printf("FAIL: %zu documents but %zu lines of reference ids\n", documents.size(),
                expected.size());
    return 1;
  }

  size_t n_tokens = 0;
  for (size_t d = 0; d < documents.size(); ++d) {
    const std::vector<int32_t> ids = tokenizer.Encode(documents[d]);
    n_tokens += ids.size();
    if (ids != expected[d]) {
      const size_t at = std::mismatch(ids.begin(), ids.end(), expected[d].begin(),
                                      expected[d].end()).first - ids.begin();
      const size_t from = at < 8 ? 0 : at - 8;
      std::printf("FAIL: document %zu (%zu bytes): first difference at token %zu of %zu (%zu in "
                  "the reference)\n",
                  d, documents[d].size(), at, ids.size(), expected[d].size());
      PrintTokens(tokenizer, "engine   ", ids, from, at + 8);
      PrintTokens(tokenizer, "reference", expected[d], from, at + 8);
      return 1;
    }
    if (tokenizer.Decode(ids) != bitbrain::tokenizer::SanitizeUtf8(documents[d])) {
      std::printf("FAIL: document %zu does not decode back to its text\n", d);
      return 1;
    }
  }
  std::printf("PASS: %zu documents, %zu bytes, %zu tokens: identical to the reference\n",
              documents.size(), corpus.size(), n_tokens);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_with_reference: %s\n", e.what());
    return 1;
  }
}
