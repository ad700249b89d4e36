// The LLaMA-3 vocabulary against facts checked in the npm package and the
// official special-token list; the tiny vocabulary's structure; malformed
// BPE data.
#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>

#include "engine/synthetic/vocabulary.h"

namespace bitbrain::synthetic {
namespace {

using Catch::Matchers::Contains;

TEST_CASE("The LLaMA-3 vocabulary is the official one") {
  const Vocabulary& v = Llama3Vocabulary();
  REQUIRE(v.tokens.size() == 128256);
  REQUIRE(v.token_types.size() == 128256);
  CHECK(v.merges.size() == 280147);
  // Looked up in llama3-tokenizer-js 1.2.0: encode("Hello") = [9906],
  // encode(" Hello") = [22691], the last BPE token, the first merges.
  CHECK(v.tokens[0] == "!");
  CHECK(v.tokens[9906] == "Hello");
  CHECK(v.tokens[22691] == "\xC4\xA0Hello");  // "ĠHello"
  CHECK(v.tokens[127999] == "\xC3\xA9\xC4\xB6\xC2\xA6");  // "éĶ¦"
  CHECK(v.merges[0] == "\xC4\xA0 \xC4\xA0");  // "Ġ Ġ"
  CHECK(v.merges[1] == "\xC4\xA0 \xC4\xA0\xC4\xA0\xC4\xA0");  // "Ġ ĠĠĠ"
  // Meta's special tokens.
  CHECK(v.tokens[128000] == "<|begin_of_text|>");
  CHECK(v.tokens[128001] == "<|end_of_text|>");
  CHECK(v.tokens[128002] == "<|reserved_special_token_0|>");
  CHECK(v.tokens[128005] == "<|reserved_special_token_3|>");
  CHECK(v.tokens[128006] == "<|start_header_id|>");
  CHECK(v.tokens[128007] == "<|end_header_id|>");
  CHECK(v.tokens[128008] == "<|reserved_special_token_4|>");
  CHECK(v.tokens[128009] == "<|eot_id|>");
  CHECK(v.tokens[128010] == "<|reserved_special_token_5|>");
  CHECK(v.tokens[128255] == "<|reserved_special_token_250|>");
  CHECK(v.bos_id == 128000);
  CHECK(v.eos_id == 128001);
  CHECK(v.eot_id == 128009);
  for (size_t id = 0; id < v.tokens.size(); ++id) {
    if (v.token_types[id] != (id < 128000 ? kTokenTypeNormal : kTokenTypeControl)) FAIL("type of " << id);
  }
}

TEST_CASE("The tiny vocabulary is byte-level BPE with LLaMA-3's roles") {
  const Vocabulary& tiny = TinyVocabulary();
  const Vocabulary& llama3 = Llama3Vocabulary();
  REQUIRE(tiny.tokens.size() == 768);
  REQUIRE(tiny.merges.size() == 496);
  // The same 256 byte tokens in the same order as LLaMA-3.
  for (size_t id = 0; id < 256; ++id) CHECK(tiny.tokens[id] == llama3.tokens[id]);
  // Merge i makes token 256 + i out of two earlier tokens.
  for (size_t i = 0; i < tiny.merges.size(); ++i) {
    const std::string& merge = tiny.merges[i];
    const size_t space = merge.find(' ');
    REQUIRE(space != std::string::npos);
    CHECK(merge.substr(0, space) + merge.substr(space + 1) == tiny.tokens[256 + i]);
  }
  CHECK(std::set<std::string>(tiny.tokens.begin(), tiny.tokens.end()).size() == tiny.tokens.size());
  CHECK(tiny.tokens[tiny.bos_id] == "<|begin_of_text|>");
  CHECK(tiny.tokens[tiny.eos_id] == "<|end_of_text|>");
  CHECK(tiny.tokens[tiny.eot_id] == "<|eot_id|>");
  CHECK(tiny.bos_id == 752);
  for (size_t id = 0; id < tiny.tokens.size(); ++id) {
    CHECK(tiny.token_types[id] == (id < 752 ? kTokenTypeNormal : kTokenTypeControl));
  }
  // Learned from English: the space-prefixed "the" is one token.
  CHECK(std::set<std::string>(tiny.tokens.begin(), tiny.tokens.end()).contains("\xC4\xA0the"));
}

TEST_CASE("Malformed BPE data gets an error naming the line") {
  const std::string good = "3 1\na\nb\nab\na b\n";
  CHECK(VocabularyFromBpeData(good, 10).tokens.size() == 13);
  const std::pair<std::string, std::string> bad[] = {
      {"3 1\na\nb\nab\n", "line 5: missing"},
      {"3\na\nb\nab\na b\n", "line 1: expected"},
      {"x 1\na\nb\nab\na b\n", "line 1: expected a count"},
      {"3 1\na\na\nab\na b\n", "line 3: duplicate token"},
      {"3 1\na\nb b\nab\na b\n", "line 3: bad token"},
      {"3 1\na\nb\nab\na c\n", "line 5: 'a c' is not a merge"},
      {"3 1\na\nb\nab\nab\n", "line 5: 'ab' is not a merge"},
      {"3 1\na\nb\nab\na b\nextra\n", "line 6: unexpected data"},
      {"99999999999 1\na\n", "line 1: counts exceed the data"},
  };
  for (const auto& [data, message] : bad) {
    CAPTURE(data);
    CHECK_THROWS_WITH(VocabularyFromBpeData(data, 10), Contains(message));
  }
  CHECK_THROWS_AS(VocabularyFromBpeData(good, 9), std::invalid_argument);
}

}  // namespace
}  // namespace bitbrain::synthetic
