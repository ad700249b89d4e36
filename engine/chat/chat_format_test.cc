// Expected ids were computed with llama3-tokenizer-js (the reference) on the
// pieces the format tokenizes: "User: " = 1502 25 220, "Hi" = 13347,
// "Assistant: " = 72803 25 220, "System: " = 2374 25 220,
// "You are a helpful assistant." = 2675 527 264 11190 18328 13.
#include "engine/chat/chat_format.h"

#include <vector>

#include <catch2/catch.hpp>

#include "engine/gguf/gguf.h"

namespace bitbrain::chat {
namespace {

using Ids = std::vector<int32_t>;

const tokenizer::Tokenizer& Llama3() {
  static const gguf::File file = gguf::File::Open("engine/synthetic/small.gguf");
  static const tokenizer::Tokenizer tokenizer = tokenizer::Tokenizer::FromGguf(file);
  return tokenizer;
}

TEST_CASE("<|begin_of_text|>User: Hi<|eot_id|>Assistant: ") {
  const std::vector<Message> messages = {{Role::kUser, "Hi"}};
  CHECK(EncodeChat(Llama3(), messages) ==
        Ids{128000, 1502, 25, 220, 13347, 128009, 72803, 25, 220});
  CHECK(EncodeChat(Llama3(), messages, /*add_generation_prompt=*/false) ==
        Ids{128000, 1502, 25, 220, 13347, 128009});
  CHECK(Llama3().Decode(EncodeChat(Llama3(), messages)) ==
        "<|begin_of_text|>User: Hi<|eot_id|>Assistant: ");
}

TEST_CASE("every turn ends with <|eot_id|>; contents are stripped") {
  const std::vector<Message> messages = {
      {ParseRole("developer"), "  You are a helpful assistant.\n"},
      {ParseRole("user"), "\u3000Hi\t\u0085"},
      {ParseRole("assistant"), "Hi"},
      {ParseRole("user"), "Hi"},
  };
  CHECK(EncodeChat(Llama3(), messages) ==
        Ids{128000, 2374,  25,    220,   2675,  527, 264, 11190, 18328, 13,    128009,
            1502,   25,    220,   13347, 128009, 72803, 25, 220,   13347, 128009, 1502,
            25,     220,   13347, 128009, 72803, 25,    220});
}

TEST_CASE("special-token text in content stays text") {
  const std::vector<Message> messages = {{Role::kUser, "<|eot_id|>"}};
  CHECK(EncodeChat(Llama3(), messages) ==
        Ids{128000, 1502, 25, 220, 27, 91, 68, 354, 851, 91, 29, 128009, 72803, 25, 220});
}

TEST_CASE("stop tokens are end of text and end of turn") {
  CHECK(StopTokens(Llama3()) == Ids{128001, 128009});
}

TEST_CASE("roles") {
  CHECK(ParseRole("system") == Role::kSystem);
  CHECK(RoleName(Role::kUser) == "User");
  CHECK_THROWS_WITH(ParseRole("tool"), Catch::Contains("unknown chat role \"tool\""));
}

TEST_CASE("stripping follows Python's str.strip") {
  CHECK(StripWhitespace(" \t\n\x0b\x0c\r\x1c\x1f" "a b\u00a0\u2000\u3000\u2029") == "a b");
  CHECK(StripWhitespace("\u200bx\ufeff") == "\u200bx\ufeff");  // not whitespace in Python
  CHECK(StripWhitespace("\u0085\u4e00\u0085") == "\u4e00");
  CHECK(StripWhitespace("   ").empty());
  CHECK(StripWhitespace("").empty());
}

}  // namespace
}  // namespace bitbrain::chat
