#include "engine/tokenizer/utf8.h"

#include <string>

#include <catch2/catch.hpp>

namespace bitbrain::tokenizer {
namespace {

const std::string kFffd(kReplacementCharacter);

TEST_CASE("well-formed text passes unchanged") {
  const std::string text = "plain \xC3\xA9 \xE4\xB8\x80 \xF0\x9F\xA6\x99 \xF4\x8F\xBF\xBF";
  CHECK(IsValidUtf8(text));
  CHECK(SanitizeUtf8(text) == text);
  CHECK(IsValidUtf8(std::string("\0", 1)));
}

// Expected results are those of Node's TextDecoder (WHATWG): one U+FFFD per
// maximal ill-formed subsequence.
TEST_CASE("ill-formed sequences become U+FFFD as TextDecoder does") {
  struct Case {
    std::string bytes;
    std::string text;
  };
  const Case cases[] = {
      {"\xE0\x80\x80", kFffd + kFffd + kFffd},           // overlong
      {"\xED\xA0\x80", kFffd + kFffd + kFffd},           // surrogate
      {"\xF0\x9F\x98", kFffd},                           // truncated at the end
      {"\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd},  // above U+10FFFF
      {"\xC0\xAF", kFffd + kFffd},
      {"\xE2\x82" "A", kFffd + "A"},                     // truncated, then a new character
      {"\xF0\x9F\x98" "A", kFffd + "A"},
      {"\xFF" "A", kFffd + "A"},
      {"\x80\x80", kFffd + kFffd},                       // stray continuation bytes
      {"a\xC3", "a" + kFffd},
  };
  for (const Case& c : cases) {
    CAPTURE(c.bytes);
    CHECK_FALSE(IsValidUtf8(c.bytes));
    CHECK(SanitizeUtf8(c.bytes) == c.text);
  }
}

TEST_CASE("the streaming decoder holds back split characters") {
  Utf8Decoder decoder;
  std::string out;
  decoder.Decode("a\xF0\x9F", out);
  CHECK(out == "a");
  CHECK(decoder.pending());
  decoder.Decode("\xA6", out);
  CHECK(out == "a");
  decoder.Decode("\x99" "b", out);
  CHECK(out == "a\xF0\x9F\xA6\x99" "b");
  CHECK_FALSE(decoder.pending());

  decoder.Decode("\xE4\xB8", out);
  decoder.Finish(out);
  CHECK(out == "a\xF0\x9F\xA6\x99" "b" + kFffd);
}

TEST_CASE("streaming in any split gives the one-shot result") {
  // Every split point of a text mixing valid and ill-formed sequences.
  const std::string bytes = "x\xF0\x9F\xA6\x99\xE2\x82" "A\xED\xA0\x80\xC3\xA9\xF0\x9F\x98";
  const std::string whole = SanitizeUtf8(bytes);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    Utf8Decoder decoder;
    std::string out;
    decoder.Decode(std::string_view(bytes).substr(0, cut), out);
    decoder.Decode(std::string_view(bytes).substr(cut), out);
    decoder.Finish(out);
    CHECK(out == whole);
  }
}

TEST_CASE("escaping for display keeps whole characters only") {
  CHECK(EscapeForDisplay("a b\xC3\xA9") == "a b\xC3\xA9");
  CHECK(EscapeForDisplay("\n\t\r\\") == "\\n\\t\\r\\\\");
  CHECK(EscapeForDisplay(std::string("\0\x1F\x7F", 3)) == "\\x00\\x1F\\x7F");
  CHECK(EscapeForDisplay("\xF0\x9F\xA6") == "\\xF0\\x9F\\xA6");  // part of an emoji
  CHECK(EscapeForDisplay("\xE4\xB8\x80\xE4") == "\xE4\xB8\x80\\xE4");
}

}  // namespace
}  // namespace bitbrain::tokenizer
