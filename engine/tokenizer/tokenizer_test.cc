#include "engine/tokenizer/tokenizer.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/stream_decoder.h"

namespace bitbrain::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

// A byte-level vocabulary: ids 0..255 are the bytes, then `words` (plain
// text) in order, then three control tokens. `merges` are plain "left right".
struct TestVocabulary {
  std::vector<std::string> tokens;
  std::vector<std::string> merges;
  std::vector<TokenType> types;

  TestVocabulary(const std::vector<std::string>& words,
                 const std::vector<std::pair<std::string, std::string>>& plain_merges) {
    for (int byte = 0; byte < 256; ++byte) tokens.push_back(ByteLevelEncode(std::string(1, byte)));
    for (const std::string& word : words) tokens.push_back(ByteLevelEncode(word));
    types.assign(tokens.size(), TokenType::kNormal);
    for (const char* control : {"<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"}) {
      tokens.push_back(control);
      types.push_back(TokenType::kControl);
    }
    for (const auto& [left, right] : plain_merges) {
      merges.push_back(ByteLevelEncode(left) + " " + ByteLevelEncode(right));
    }
  }
  int32_t bos() const { return static_cast<int32_t>(tokens.size()) - 3; }
  int32_t eos() const { return static_cast<int32_t>(tokens.size()) - 2; }
  int32_t eot() const { return static_cast<int32_t>(tokens.size()) - 1; }

  Tokenizer Make() const {
    return Tokenizer({tokens.begin(), tokens.end()}, {merges.begin(), merges.end()}, types,
                     SpecialTokens{bos(), eos(), eot()});
  }
};

int32_t Byte(char c) { return static_cast<uint8_t>(c); }

TEST_CASE("the lowest-ranked merge applies first") {
  // 256 = "bc", 257 = "ab"; "b c" outranks "a b".
  const TestVocabulary v({"bc", "ab"}, {{"b", "c"}, {"a", "b"}});
  const Tokenizer t = v.Make();
  CHECK(t.Encode("abc") == Ids{Byte('a'), 256});
  CHECK(t.Encode("abab") == Ids{257, 257});
}

TEST_CASE("equal merges apply left to right") {
  // 256 = "aa", 257 = "aaa" (reachable only as a whole pre-token).
  const TestVocabulary v({"aa", "aaa"}, {{"a", "a"}});
  const Tokenizer t = v.Make();
  CHECK(t.Encode("aaaaa") == Ids{256, 256, Byte('a')});
  CHECK(t.Encode("aa") == Ids{256});
}

TEST_CASE("a pre-token that is a token is taken whole, without merges") {
  // "aaa" has no merge path (aa + a is not a merge), yet is one token.
  const TestVocabulary v({"aa", "aaa"}, {{"a", "a"}});
  const Tokenizer t = v.Make();
  CHECK(t.Encode("aaa") == Ids{257});
  // Pre-tokens are split first: "aaa" and " aaa" are different pieces.
  CHECK(t.Encode("aaa aaa") == Ids{257, Byte(' '), 256, Byte('a')});
}

TEST_CASE("merges chain through results") {
  const TestVocabulary v({"he", "ll", "hell", "hello"},
                         {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}});
  const Tokenizer t = v.Make();
  CHECK(t.Encode("hellos") == Ids{259, Byte('s')});
  CHECK(t.Encode("hello hello") == Ids{259, Byte(' '), 259});
}

TEST_CASE("duplicates: the later token, the first merge (as llama.cpp)") {
  // 256 and 257 are both "ab"; 258 = "bc". The pair (a, b) is listed twice.
  const TestVocabulary v({"ab", "ab", "bc"}, {{"a", "b"}, {"b", "c"}, {"a", "b"}});
  const Tokenizer t = v.Make();
  CHECK(t.Encode("ab") == Ids{257});
  CHECK(t.Encode("abc") == Ids{257, Byte('c')});  // (a, b) keeps rank 0
}

TEST_CASE("special-token text is plain text") {
  const TestVocabulary v({}, {});
  const Tokenizer t = v.Make();
  const Ids ids = t.Encode("<|eot_id|>");
  CHECK(ids.size() == 10);
  for (int32_t id : ids) CHECK(t.token_type(id) == TokenType::kNormal);
  CHECK(t.Decode(ids) == "<|eot_id|>");
  CHECK(t.Decode(Ids{v.bos()}) == "<|begin_of_text|>");
}

TEST_CASE("ill-formed UTF-8 is tokenized as its U+FFFD replacement") {
  const TestVocabulary v({}, {});
  const Tokenizer t = v.Make();
  CHECK(t.Encode("a\xFF" "b") == t.Encode("a\xEF\xBF\xBD" "b"));
  CHECK(t.Encode("\xE2\x82") == t.Encode("\xEF\xBF\xBD"));
  CHECK(t.Encode("").empty());
}

TEST_CASE("decoding returns the bytes, ill-formed parts replaced") {
  const TestVocabulary v({"he", "ll", "hell", "hello"},
                         {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}});
  const Tokenizer t = v.Make();
  const std::string text = "hello \xF0\x9F\xA6\x99 w\xC3\xB6rld\n";
  CHECK(t.Decode(t.Encode(text)) == text);
  CHECK(t.Decode(Ids{0xF0, 0x9F}) == "\xEF\xBF\xBD");
  CHECK(t.TokenBytes(259) == "hello");
  CHECK_THROWS_AS(t.Decode(Ids{t.vocab_size()}), TokenizerError);
  CHECK_THROWS_AS(t.TokenBytes(-1), TokenizerError);
}

TEST_CASE("the stream decoder emits only whole characters") {
  const TestVocabulary v({}, {});
  const Tokenizer t = v.Make();
  StreamDecoder stream(t);
  CHECK(stream.Push('a') == "a");
  CHECK(stream.Push(0xF0).empty());
  CHECK(stream.Push(0x9F).empty());
  CHECK(stream.Push(0xA6).empty());
  CHECK(stream.Push(0x99) == "\xF0\x9F\xA6\x99");
  CHECK(stream.Push(v.eot()) == "<|eot_id|>");
  CHECK(stream.Push(0xE4).empty());
  CHECK(stream.Finish() == "\xEF\xBF\xBD");
}

TEST_CASE("an inconsistent vocabulary is a clear error") {
  const auto error_of = [](const TestVocabulary& v) {
    try {
      v.Make();
    } catch (const TokenizerError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  TestVocabulary v({"ab"}, {{"a", "b"}});
  REQUIRE(error_of(v) == "no error");

  TestVocabulary missing_byte = v;
  missing_byte.tokens[7] = ByteLevelEncode("xyz");
  CHECK_THAT(error_of(missing_byte), Catch::Contains("no token for byte 7"));

  TestVocabulary not_byte_level = v;
  not_byte_level.tokens[256] = "a b";
  CHECK_THAT(error_of(not_byte_level), Catch::Contains("is not byte-level text"));

  TestVocabulary unknown_part = v;
  unknown_part.merges.push_back("ab cd");
  CHECK_THAT(error_of(unknown_part), Catch::Contains("a part is not a token"));

  TestVocabulary no_result = v;
  no_result.merges.push_back("b a");
  CHECK_THAT(error_of(no_result), Catch::Contains("the merged text is not a token"));

  TestVocabulary no_space = v;
  no_space.merges.push_back("ab");
  CHECK_THAT(error_of(no_space), Catch::Contains("not two tokens separated by a space"));

  TestVocabulary short_types = v;
  short_types.types.pop_back();
  CHECK_THAT(error_of(short_types), Catch::Contains("token types"));
}

// A tokenizer-only GGUF image with the vocabulary of `v`.
gguf::Writer GgufOf(const TestVocabulary& v) {
  gguf::Writer w;
  w.AddString("tokenizer.ggml.model", "gpt2");
  w.AddStringArray("tokenizer.ggml.tokens", v.tokens);
  w.AddStringArray("tokenizer.ggml.merges", v.merges);
  std::vector<int32_t> types;
  for (TokenType type : v.types) types.push_back(static_cast<int32_t>(type));
  w.AddI32Array("tokenizer.ggml.token_type", types);
  return w;
}

Tokenizer FromImage(const gguf::Writer& w) {
  const std::vector<uint8_t> bytes = w.Serialize();
  return Tokenizer::FromGguf(gguf::File::FromBytes(bytes.data(), bytes.size(), "test.gguf"));
}

TEST_CASE("from GGUF: special ids from keys, else from token text") {
  const TestVocabulary v({"ab"}, {{"a", "b"}});
  gguf::Writer w = GgufOf(v);
  {
    const Tokenizer t = FromImage(w);
    CHECK(t.Encode("ab") == Ids{256});
    CHECK(t.special().bos == v.bos());
    CHECK(t.special().eos == v.eos());
    CHECK(t.special().eot == v.eot());
  }
  w.AddU32("tokenizer.ggml.bos_token_id", 3);
  w.AddU32("tokenizer.ggml.eos_token_id", 4);
  w.AddU32("tokenizer.ggml.eot_token_id", 5);
  w.AddString("tokenizer.ggml.pre", "llama-bpe");
  const Tokenizer t = FromImage(w);
  CHECK(t.special().bos == 3);
  CHECK(t.special().eos == 4);
  CHECK(t.special().eot == 5);
}

TEST_CASE("from GGUF: unsupported or broken tokenizers are clear errors") {
  const TestVocabulary v({"ab"}, {{"a", "b"}});
  const auto error_of = [](const gguf::Writer& w) {
    try {
      FromImage(w);
    } catch (const TokenizerError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  gguf::Writer empty;
  CHECK_THAT(error_of(empty), Catch::Contains("test.gguf: no tokenizer"));

  gguf::Writer llama;
  llama.AddString("tokenizer.ggml.model", "llama");
  CHECK_THAT(error_of(llama), Catch::Contains("unsupported tokenizer model \"llama\""));

  gguf::Writer qwen = GgufOf(v);
  qwen.AddString("tokenizer.ggml.pre", "qwen2");
  CHECK_THAT(error_of(qwen), Catch::Contains("unsupported pre-tokenizer \"qwen2\""));

  gguf::Writer bad_bos = GgufOf(v);
  bad_bos.AddU32("tokenizer.ggml.bos_token_id", 100000);
  CHECK_THAT(error_of(bad_bos), Catch::Contains("tokenizer.ggml.bos_token_id"));

  TestVocabulary broken = v;
  broken.merges.push_back("b a");
  CHECK_THAT(error_of(GgufOf(broken)), Catch::Contains("test.gguf: merge 1"));
}

}  // namespace
}  // namespace bitbrain::tokenizer
