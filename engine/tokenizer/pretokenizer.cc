#include "engine/tokenizer/pretokenizer.h"

#include <pcre2.h>

#include <stdexcept>
#include <string>

namespace bitbrain::tokenizer {
namespace {

// JavaScript's \s, as the inside of a character class.
#define JS_WHITESPACE R"(\t\n\x{0B}\f\r\p{Zs}\x{2028}\x{2029}\x{FEFF})"

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+  with \s spelled out.
constexpr char kPattern[] =
    R"('(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD]))"
    R"(|[^\r\n\p{L}\p{N}]?\p{L}+)"
    R"(|\p{N}{1,3})"
    R"(| ?[^)" JS_WHITESPACE R"(\p{L}\p{N}]+[\r\n]*)"
    R"(|[)" JS_WHITESPACE R"(]*[\r\n]+)"
    R"(|[)" JS_WHITESPACE R"(]+(?![^)" JS_WHITESPACE R"(]))"
    R"(|[)" JS_WHITESPACE R"(]+)";

#undef JS_WHITESPACE

std::string Pcre2ErrorMessage(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof(buffer));
  return reinterpret_cast<const char*>(buffer);
}

}  // namespace

struct Llama3PreTokenizer::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

Llama3PreTokenizer::Llama3PreTokenizer() : compiled_(std::make_unique<Compiled>()) {
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPattern), PCRE2_ZERO_TERMINATED,
                                  PCRE2_UTF | PCRE2_ANCHORED, &error, &error_offset, nullptr);
  if (compiled_->code == nullptr) {
    throw std::logic_error("pre-tokenizer regex does not compile at offset " +
                           std::to_string(error_offset) + ": " + Pcre2ErrorMessage(error));
  }
  // Without JIT support in the library pcre2_match interprets the pattern:
  // slower, same result.
  pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);
}

Llama3PreTokenizer::~Llama3PreTokenizer() = default;
Llama3PreTokenizer::Llama3PreTokenizer(Llama3PreTokenizer&&) noexcept = default;
Llama3PreTokenizer& Llama3PreTokenizer::operator=(Llama3PreTokenizer&&) noexcept = default;

void Llama3PreTokenizer::Split(std::string_view text,
                               std::vector<std::string_view>& pieces) const {
  // Per-call match state keeps Split thread-safe.
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> match(
      pcre2_match_data_create_from_pattern(compiled_->code, nullptr), pcre2_match_data_free);
  if (!match) throw std::bad_alloc();

  // Anchored matching: every character is in one of the alternatives'
  // classes and none matches the empty string, so each match starts where
  // the previous one ended (as the reference's split, with no gaps).
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0;
  while (start < text.size()) {
    const int rc = pcre2_match(compiled_->code, subject, text.size(), start,
                               PCRE2_NO_UTF_CHECK, match.get(), nullptr);
    if (rc < 0) {
      throw std::runtime_error("pre-tokenizer failed at byte " + std::to_string(start) + ": " +
                               Pcre2ErrorMessage(rc));
    }
    const size_t end = pcre2_get_ovector_pointer(match.get())[1];
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
}

}  // namespace bitbrain::tokenizer
