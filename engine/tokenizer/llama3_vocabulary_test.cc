// The tokenizer with the real LLaMA-3 vocabulary (from the synthetic small
// model). Expected ids are llama3-tokenizer-js's: most are the package's own
// tests (test/node-test.js); the broad comparison is
// //conformance/tokenizer:tokenizer_conformance_test.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/gguf/gguf.h"
#include "engine/tokenizer/stream_decoder.h"
#include "engine/tokenizer/tokenizer.h"

namespace bitbrain::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

const Tokenizer& Llama3() {
  static const gguf::File file = gguf::File::Open("engine/synthetic/small.gguf");
  static const Tokenizer tokenizer = Tokenizer::FromGguf(file);
  return tokenizer;
}

void CheckEncodeDecode(const std::string& text, const Ids& ids) {
  CAPTURE(text);
  CHECK(Llama3().Encode(text) == ids);
  CHECK(Llama3().Decode(ids) == text);
}

TEST_CASE("the reference package's own test cases") {
  CheckEncodeDecode("grabbed", {59312, 2788});
  CheckEncodeDecode(" grabbed", {30418});
  CheckEncodeDecode("           grabbed", {1881, 30418});
  CheckEncodeDecode("\n", {198});
  CheckEncodeDecode(" \n", {720});
  CheckEncodeDecode("\ttabs\t\t\t\tout here", {3324, 3518, 573, 14294, 1618});
  CheckEncodeDecode("ax\n####\nboo", {710, 198, 71050, 34093});
  CheckEncodeDecode("\u9547", {104643});
  CheckEncodeDecode("\U0001F999", {9468, 99, 247});
  CheckEncodeDecode("\U0001F999\uA64A", {9468, 99, 247, 166, 247, 232});
  CheckEncodeDecode("\uA64A\U0001F999", {166, 247, 232, 9468, 99, 247});
  CheckEncodeDecode("This is a test sentence.", {2028, 374, 264, 1296, 11914, 13});
  CheckEncodeDecode(
      "The llama (/\u02c8l\u0251\u02d0m\u0259/; \U0001F999Spanish pronunciation: "
      "[\u02c8\u028eama]) (Lama glama) is a domesticated South American camelid, widely used "
      "as a meat and pack animal by Andean cultures since the Pre-Columbian era.",
      {791,   94776, 47325, 135,   230,   75,    133,   239,   135,   238,   76,    99638, 14,
       26,    11410, 99,    247,   62897, 71722, 25,    510,   135,   230,   134,   236,   3105,
       2526,  320,   43,    3105,  2840,  3105,  8,     374,   264,   13018, 660,   4987,  3778,
       50252, 307,   11,    13882, 1511,  439,   264,   13339, 323,   3854,  10065, 555,   1628,
       5420,  27833, 2533,  279,   5075,  7813,  1152,  13464, 11639, 13});
}

TEST_CASE("special tokens of the vocabulary") {
  const Tokenizer& t = Llama3();
  CHECK(t.vocab_size() == 128256);
  CHECK(t.special().bos == 128000);
  CHECK(t.special().eos == 128001);
  CHECK(t.special().eot == 128009);
  CHECK(t.token_type(128000) == TokenType::kControl);
  CHECK(t.token_type(127999) == TokenType::kNormal);
  CHECK(t.Decode(Ids{128000, 2028, 374, 264, 1296, 11914, 13, 128001}) ==
        "<|begin_of_text|>This is a test sentence.<|end_of_text|>");
  CHECK(t.Decode(Ids{128006}) == "<|start_header_id|>");
}

TEST_CASE("special-token text in input stays text") {
  CheckEncodeDecode("<|eot_id|>", {27, 91, 68, 354, 851, 91, 29});
}

TEST_CASE("contractions, whitespace and digits as the reference splits them") {
  CheckEncodeDecode("I'M here, they'Re", {40, 28703, 1618, 11, 814, 50527});
  CheckEncodeDecode("\uFEFF\uFEFFx \u0085\u0085y", {3305, 3305, 87, 2188, 227, 116360, 88});
  CheckEncodeDecode("1234567", {4513, 10961, 22});
}

TEST_CASE("streaming decoding of an emoji split over three tokens") {
  StreamDecoder stream(Llama3());
  std::string text;
  for (const int32_t id : Ids{40, 9468, 99}) text += stream.Push(id);
  CHECK(text == "I");
  CHECK(stream.Push(247) == "\U0001F999");
  CHECK(stream.Finish().empty());
}

}  // namespace
}  // namespace bitbrain::tokenizer
