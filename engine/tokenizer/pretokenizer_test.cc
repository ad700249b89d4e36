#include "engine/tokenizer/pretokenizer.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace bitbrain::tokenizer {
namespace {

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string_view> pieces;
  Llama3PreTokenizer().Split(text, pieces);
  return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

// Expected splits are those of the JavaScript regex llama3-tokenizer-js uses.
TEST_CASE("words keep their leading space") {
  CHECK(Split("Hello world") == Pieces{"Hello", " world"});
  CHECK(Split("\u043f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440") ==
        Pieces{"\u043f\u0440\u0438\u0432\u0435\u0442", " \u043c\u0438\u0440"});
  CHECK(Split("\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8") ==
        Pieces{"\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8"});
}

TEST_CASE("contractions are case-insensitive in ASCII only") {
  CHECK(Split("I'M here, they'Re 'S '\u017f x'll") ==
        Pieces{"I", "'M", " here", ",", " they", "'Re", " '", "S", " '", "\u017f", " x", "'ll"});
}

TEST_CASE("numbers split in groups of three, any script") {
  CHECK(Split("12345678 \u0661\u0662\u0663\u0664") ==
        Pieces{"123", "456", "78", " ", "\u0661\u0662\u0663", "\u0664"});
}

TEST_CASE("whitespace runs and line breaks") {
  CHECK(Split("a  \n\n  b   c") == Pieces{"a", "  \n\n", " ", " b", "  ", " c"});
  CHECK(Split("  x\t\t\ty \r\n\r\n") == Pieces{" ", " x", "\t\t", "\ty", " \r\n\r\n"});
}

TEST_CASE("whitespace is JavaScript's: U+FEFF is, U+0085 is not") {
  CHECK(Split("a\u00a0\u00a0b\u3000c\u2028d\ufeff\ufeffe\u0085\u0085f") ==
        Pieces{"a", "\u00a0", "\u00a0b", "\u3000c", "\u2028d", "\ufeff", "\ufeffe",
               "\u0085\u0085", "f"});
}

TEST_CASE("punctuation, symbols and emoji") {
  CHECK(Split("\U0001F999\U0001F999 ok!!!\n\n") ==
        Pieces{"\U0001F999\U0001F999", " ok", "!!!\n\n"});
  CHECK(Split("x=f(y)+1;\n    return") ==
        Pieces{"x", "=f", "(y", ")+", "1", ";\n", "   ", " return"});
  CHECK(Split("$$$abc ...def") == Pieces{"$$$", "abc", " ...", "def"});
}

TEST_CASE("pieces cover the text, including NUL and very long runs") {
  CHECK(Split("").empty());
  CHECK(Split(std::string("a\0b", 3)) == Pieces{"a", std::string("\0b", 2)});
  // Long runs of one class must not exhaust the regex engine's stack.
  for (const char* unit : {" ", "\n", "a", "7", "!", "\u4e00", " \r\n"}) {
    std::string text;
    while (text.size() < (1 << 20)) text += unit;
    std::vector<std::string_view> pieces;
    Llama3PreTokenizer().Split(text, pieces);
    size_t covered = 0;
    bool contiguous = true;
    for (std::string_view piece : pieces) {
      contiguous = contiguous && piece.data() == text.data() + covered;
      covered += piece.size();
    }
    CHECK(contiguous);
    CHECK(covered == text.size());
  }
}

}  // namespace
}  // namespace bitbrain::tokenizer
