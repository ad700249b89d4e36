#include "engine/generate/json_constraint.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/chat/chat_format.h"
#include "engine/generate/sampler.h"
#include "engine/gguf/gguf.h"

namespace bitbrain::generate {
namespace {

using nlohmann::json;

struct Vocabulary {
  explicit Vocabulary(const char* path)
      : file(gguf::File::Open(path)),
        tokenizer(tokenizer::Tokenizer::FromGguf(file)),
        trie(tokenizer),
        end_tokens(chat::StopTokens(tokenizer)) {}
  gguf::File file;
  tokenizer::Tokenizer tokenizer;
  VocabularyTrie trie;
  std::vector<int32_t> end_tokens;
};

const Vocabulary& Tiny() {
  static const Vocabulary vocabulary("engine/synthetic/tiny.gguf");
  return vocabulary;
}

const Vocabulary& Llama3() {
  static const Vocabulary vocabulary("engine/synthetic/small.gguf");
  return vocabulary;
}

const json kAnswerSchema = {{"type", "object"},
                            {"properties", {{"answer", {{"enum", {"yes", "no"}}}}}},
                            {"required", {"answer"}},
                            {"additionalProperties", false}};

// A schema with a bit of everything, in ordered_json to keep its order.
nlohmann::ordered_json RichSchema() {
  return nlohmann::ordered_json::parse(R"({
    "type": "object",
    "properties": {
      "name": {"type": "string", "maxLength": 12},
      "age": {"type": "integer"},
      "score": {"type": ["number", "null"]},
      "tags": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 3},
      "kind": {"enum": ["cat", "dog", 7]}
    },
    "required": ["name", "kind"],
    "additionalProperties": false})");
}

// Whether every token Mask() allows can come next, and every other cannot,
// after `prefix`: the trie walk against the recognizer token by token.
void CheckMaskAgainstRecognizer(const Vocabulary& vocabulary, const JsonSchema& schema,
                                const std::string& prefix) {
  INFO("prefix: " << prefix);
  JsonConstraint constraint(schema, vocabulary.trie, vocabulary.end_tokens);
  JsonRecognizer after_prefix(schema);
  REQUIRE(after_prefix.Advance(prefix));
  // Byte by byte: Encode would replace a partial UTF-8 character.
  const int32_t vocab = vocabulary.tokenizer.vocab_size();
  for (const char byte : prefix) {
    int32_t token = 0;
    while (vocabulary.tokenizer.TokenBytes(token) != std::string(1, byte)) ++token;
    constraint.Accept(token);
  }

  std::vector<float> logits(vocab, 0.0f);
  const int allowed = constraint.Mask(logits);
  const std::span<const uint8_t> allowed_set = constraint.Allowed();
  REQUIRE(allowed_set.size() == static_cast<size_t>(vocab));
  int expected_allowed = 0;
  for (int32_t id = 0; id < vocab; ++id) {
    const bool end = std::find(vocabulary.end_tokens.begin(), vocabulary.end_tokens.end(), id) !=
                     vocabulary.end_tokens.end();
    JsonRecognizer recognizer = after_prefix;
    const bool text = vocabulary.trie.IsText(id);
    const bool expected = end ? after_prefix.Complete()
                              : text && recognizer.Advance(vocabulary.tokenizer.TokenBytes(id));
    INFO("token " << id << " '" << vocabulary.tokenizer.TokenBytes(id) << "'");
    REQUIRE(std::isinf(logits[id]) == !expected);
    REQUIRE((allowed_set[id] != 0) == expected);
    expected_allowed += expected;
  }
  CHECK(allowed == expected_allowed);
  CHECK(allowed > 0);
}

TEST_CASE("the mask allows exactly the tokens that keep a valid prefix (LLaMA-3 vocabulary)") {
  const JsonSchema any = JsonSchema::AnyObject();
  // Strings in their several states: between characters (where the walk
  // skips the tokens known to be allowed), in an escape, in a UTF-8
  // character, and one with a maxLength.
  for (const std::string prefix : {"", "{", "{\"a", "{\"a\":", "{\"a\": 1", "{\"a\":\"x\\",
                                   "{\"a\":\"\\u00", "{\"a\":[1,", "{\"a\":{}}",
                                   "{\"a\":\"hello wor", "{\"a\":\"h\xc3\xa9", "{\"a\":\"h\xe2\x82"}) {
    CheckMaskAgainstRecognizer(Llama3(), any, prefix);
  }
  const JsonSchema answer = JsonSchema::Compile(kAnswerSchema, true);
  for (const std::string prefix : {"", "{", "{\"", "{\"answer\": \"", "{\"answer\": \"yes\""}) {
    CheckMaskAgainstRecognizer(Llama3(), answer, prefix);
  }
  const JsonSchema rich = JsonSchema::Compile(RichSchema(), true);
  for (const std::string prefix : {"{\"name\": \"abcdefghij", "{\"name\":\"a\",\"age\":-1"}) {
    CheckMaskAgainstRecognizer(Llama3(), rich, prefix);
  }
}

TEST_CASE("special tokens are refused; end tokens come exactly when the document is complete") {
  const Vocabulary& vocabulary = Llama3();
  const JsonSchema any = JsonSchema::AnyObject();
  JsonConstraint constraint(any, vocabulary.trie, vocabulary.end_tokens);
  std::vector<float> logits(vocabulary.tokenizer.vocab_size(), 0.0f);
  constraint.Mask(logits);
  CHECK(std::isinf(logits[vocabulary.tokenizer.special().bos]));
  for (const int32_t end : vocabulary.end_tokens) CHECK(std::isinf(logits[end]));
  CHECK_THROWS_AS(constraint.Accept(vocabulary.end_tokens[0]), std::invalid_argument);
  for (const int32_t token : vocabulary.tokenizer.Encode("{}")) constraint.Accept(token);
  CHECK(constraint.complete());
  std::fill(logits.begin(), logits.end(), 0.0f);
  // Only the end tokens: nothing may follow the object.
  CHECK(constraint.Mask(logits) == static_cast<int>(vocabulary.end_tokens.size()));
  for (const int32_t end : vocabulary.end_tokens) CHECK(!std::isinf(logits[end]));
  for (const int32_t end : vocabulary.end_tokens) CHECK(constraint.Allowed()[end] == 1);
  constraint.Accept(vocabulary.end_tokens[0]);
}

// Samples with random logits under the constraint until an end token; the
// logits favour tokens that close strings and containers, so that documents
// end in reasonable time. Returns the text, or "" if `max_tokens` ran out.
std::string SampleDocument(const Vocabulary& vocabulary, const JsonSchema& schema, uint64_t seed,
                           int max_tokens) {
  JsonConstraint constraint(schema, vocabulary.trie, vocabulary.end_tokens);
  SamplingParams params;
  params.temperature = 1.0f;
  params.top_k = 0;
  params.top_p = 1.0f;
  params.min_p = 0.0f;
  params.seed = seed;
  Sampler sampler(params);
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 4.0f);
  std::string text;
  for (int step = 0; step < max_tokens; ++step) {
    std::vector<float> logits(vocabulary.tokenizer.vocab_size());
    for (int32_t id = 0; id < vocabulary.tokenizer.vocab_size(); ++id) {
      const std::string_view bytes = vocabulary.tokenizer.TokenBytes(id);
      const bool closes = bytes.find_first_of("\"]}") != std::string_view::npos;
      logits[id] = uniform(random) + (closes ? 3.0f : 0.0f) + (step > 40 ? 8.0f * closes : 0.0f);
    }
    for (const int32_t end : vocabulary.end_tokens) logits[end] = 12.0f;
    REQUIRE(constraint.Mask(logits) > 0);
    const int32_t token = sampler.Sample(logits);
    constraint.Accept(token);
    if (std::find(vocabulary.end_tokens.begin(), vocabulary.end_tokens.end(), token) !=
        vocabulary.end_tokens.end()) {
      return text;
    }
    text += vocabulary.tokenizer.TokenBytes(token);
  }
  return "";
}

TEST_CASE("sampling under json_object always ends in one valid JSON object") {
  const JsonSchema any = JsonSchema::AnyObject();
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const std::string text = SampleDocument(Tiny(), any, seed, 400);
    INFO("seed " << seed << ": " << text);
    REQUIRE(!text.empty());
    const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
    REQUIRE(!parsed.is_discarded());
    CHECK(parsed.is_object());
  }
}

TEST_CASE("sampling under a schema always ends in a document the schema accepts") {
  const JsonSchema answer = JsonSchema::Compile(kAnswerSchema, true);
  const JsonSchema rich = JsonSchema::Compile(RichSchema(), true);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const json yes_no = json::parse(SampleDocument(Tiny(), answer, seed, 100));
    INFO("seed " << seed << ": " << yes_no.dump());
    CHECK(yes_no.size() == 1);
    CHECK((yes_no["answer"] == "yes" || yes_no["answer"] == "no"));

    const std::string text = SampleDocument(Tiny(), rich, seed, 400);
    INFO("seed " << seed << ": " << text);
    const json document = json::parse(text);
    REQUIRE(document.is_object());
    for (const auto& [key, value] : document.items()) {
      CHECK((key == "name" || key == "age" || key == "score" || key == "tags" || key == "kind"));
    }
    REQUIRE(document.contains("name"));
    CHECK(document["name"].is_string());
    // maxLength counts characters, not bytes.
    const std::string name = document["name"];
    CHECK(std::count_if(name.begin(), name.end(), [](char c) { return (c & 0xc0) != 0x80; }) <= 12);
    if (document.contains("age")) CHECK(document["age"].is_number_integer());
    if (document.contains("score")) CHECK((document["score"].is_number() || document["score"].is_null()));
    if (document.contains("tags")) {
      CHECK(document["tags"].size() <= 3);
      for (const json& tag : document["tags"]) CHECK(tag.is_string());
    }
    CHECK((document["kind"] == "cat" || document["kind"] == "dog" || document["kind"] == 7));
  }
}

TEST_CASE("the LLaMA-3 vocabulary also samples valid documents") {
  const JsonSchema any = JsonSchema::AnyObject();
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const std::string text = SampleDocument(Llama3(), any, seed, 200);
    INFO("seed " << seed << ": " << text);
    REQUIRE(!text.empty());
    CHECK(json::parse(text).is_object());
  }
}

}  // namespace
}  // namespace bitbrain::generate
