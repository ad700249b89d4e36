#include "engine/tokenizer/byte_level.h"

#include <set>
#include <string>

#include <catch2/catch.hpp>

namespace bitbrain::tokenizer {
namespace {

TEST_CASE("GPT-2's byte-level alphabet") {
  CHECK(ByteLevelEncode(" ") == "\u0120");   // Ġ
  CHECK(ByteLevelEncode("\n") == "\u010A");  // Ċ
  CHECK(ByteLevelEncode("a~") == "a~");
  CHECK(ByteLevelEncode("\xAD") == "\u0143");  // the last shifted byte
  CHECK(ByteLevelEncode("\xE4\xB8\x80") == "\u00E4\u00B8\u0122");
}

TEST_CASE("every byte round-trips through a distinct character") {
  std::set<std::string> characters;
  for (int byte = 0; byte < 256; ++byte) {
    const std::string bytes(1, static_cast<char>(byte));
    const std::string text = ByteLevelEncode(bytes);
    characters.insert(text);
    CHECK(ByteLevelDecode(text) == bytes);
  }
  CHECK(characters.size() == 256);
}

TEST_CASE("text outside the alphabet is rejected") {
  CHECK_FALSE(ByteLevelDecode(" "));           // a raw space is not in the alphabet
  CHECK_FALSE(ByteLevelDecode("\u0144"));      // just past the shifted bytes
  CHECK_FALSE(ByteLevelDecode("\u4e00"));      // three-byte UTF-8
  CHECK_FALSE(ByteLevelDecode("\xC4"));        // truncated UTF-8
  CHECK_FALSE(ByteLevelDecode("\xC1\x81"));    // overlong 'A'
  CHECK(ByteLevelDecode("") == std::string());
}

}  // namespace
}  // namespace bitbrain::tokenizer
