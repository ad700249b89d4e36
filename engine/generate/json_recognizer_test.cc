#include "engine/generate/json_recognizer.h"

#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/generate/json_schema.h"

namespace bitbrain::generate {
namespace {

using json = nlohmann::ordered_json;

// How many bytes of `text` the recognizer takes before it refuses one.
size_t Accepted(const JsonSchema& schema, const std::string& text) {
  JsonRecognizer recognizer(schema);
  for (size_t i = 0; i < text.size(); ++i) {
    if (!recognizer.Advance(static_cast<uint8_t>(text[i]))) return i;
  }
  return text.size();
}

bool Complete(const JsonSchema& schema, const std::string& text) {
  JsonRecognizer recognizer(schema);
  return recognizer.Advance(text) && recognizer.Complete();
}

JsonSchema Schema(const json& schema, bool strict = false) {
  return JsonSchema::Compile(schema, strict);
}

// The path of the SchemaError that compiling `schema` (strict) throws, or
// "(accepted)".
std::string ErrorPath(const json& schema) {
  try {
    JsonSchema::Compile(schema, true);
  } catch (const SchemaError& error) {
    return error.path();
  }
  return "(accepted)";
}

TEST_CASE("json_object: whole objects are complete, and nlohmann agrees they are JSON") {
  const JsonSchema any = JsonSchema::AnyObject();
  for (const std::string text : {
           R"({})",
           R"({"a":1})",
           R"({ "a" : [1, 2.5, -0.5e+3, 0, -0, 1E9, 2e-2, true, false, null, "x", {}, []] })",
           R"({"nested":{"deeper":{"deepest":[[[]]]}}})",
           R"({"s":"\"\\\/\b\f\n\r\t\u00e9\uD83D\ude00"})",
           "{\"s\":\"h\xc3\xa9llo \xf0\x9f\x98\x80 \xe2\x82\xac\x7f\"}",
           "{\n \"a\": 1,\r\n\"b\": 2\n}",
           R"({"":"","a":{"b":"c"}})",
       }) {
    INFO(text);
    CHECK(Accepted(any, text) == text.size());
    CHECK(Complete(any, text));
    CHECK(json::parse(text).is_object());
    JsonRecognizer recognizer(any);
    recognizer.Advance(text);
    CHECK(recognizer.Finished());
  }
}

TEST_CASE("json_object: a prefix is accepted but not complete") {
  const JsonSchema any = JsonSchema::AnyObject();
  for (const std::string text : {"{", R"({"a")", R"({"a":)", R"({"a":-0.5e+)", R"({"a":"\u00)",
                                 R"({"a":[1,)", R"({"a":tr)", "{\"a\":\"\xf0\x9f"}) {
    INFO(text);
    CHECK(Accepted(any, text) == text.size());
    CHECK(!Complete(any, text));
  }
}

TEST_CASE("json_object: invalid bytes are refused where they occur") {
  const JsonSchema any = JsonSchema::AnyObject();
  struct Case {
    std::string text;
    size_t accepted;
  };
  const Case cases[] = {
      {"[1]", 0},                       // not an object
      {"\"x\"", 0},
      {R"({"a":01})", 6},                // no leading zeros
      {R"({"a":-01})", 7},
      {R"({"a":1.})", 7},                // a digit after the point
      {R"({"a":.5})", 5},
      {R"({"a":+1})", 5},
      {R"({"a":1e})", 7},
      {R"({"a":1.5e+})", 10},
      {R"({"a":--1})", 6},
      {R"({"a":"\q"})", 7},              // not an escape
      {R"({"a":"\u12g4"})", 10},
      {R"({"a":"\udc00"})", 9},          // a lone low surrogate
      {R"({"a":"\ud800x"})", 12},        // a high one without its low one
      {R"({"a":"\ud800\u0041"})", 14},   // followed by something else
      {"{\"a\":\"\x01\"}", 6},           // a raw control character
      {"{\"a\":\"\n\"}", 6},
      {"{\"a\":\"\xc0\x80\"}", 6},       // overlong
      {"{\"a\":\"\xed\xa0\x80\"}", 7},   // a surrogate in UTF-8
      {"{\"a\":\"\xf4\x90\x80\x80\"}", 7},  // past U+10FFFF
      {"{\"a\":\"\x80\"}", 6},           // a continuation byte first
      {"{\"a\":\"\xc3\"}", 7},           // a character cut short
      {R"({"a":1,})", 7},                // trailing comma
      {R"({,})", 1},
      {R"({"a" 1})", 5},
      {R"({"a":1 "b":2})", 7},
      {R"({"a":tru})", 8},
      {R"({"a":nul1})", 8},
      {R"({"a":[1,]})", 8},
      {R"({"a":1]})", 6},
      {R"({"a":1}})", 7},                // nothing after the document
      {R"({"a":1} )", 7},
      {R"({"a":1}x)", 7},
      {"{   \"a\":1}", 3},               // at most 2 whitespace bytes in a row
      {"{\"a\":\n\n\n1}", 7},
      {" {}", 0},                        // the document comes first
      {R"({"a":12345678901234567890})", 24},  // at most 19 integer digits
      {R"({"a":0.123456789012345678})", 24},  // 17 fraction digits
      {R"({"a":1e1234})", 10},           // 3 exponent digits
  };
  for (const Case& test : cases) {
    INFO(test.text);
    CHECK(Accepted(any, test.text) == test.accepted);
  }
}

TEST_CASE("a refused byte leaves the recognizer refusing everything") {
  const JsonSchema any = JsonSchema::AnyObject();
  JsonRecognizer recognizer(any);
  CHECK(!recognizer.Advance('x'));
  CHECK(!recognizer.Advance('{'));
  CHECK(!recognizer.Complete());
}

TEST_CASE("nesting stops at kMaxNesting, where everything can still be closed") {
  const JsonSchema any = Schema(json::object());
  const std::string open(kMaxNesting, '[');
  CHECK(Accepted(any, open + "[") == open.size());
  CHECK(Complete(any, open + std::string(kMaxNesting, ']')));
  CHECK(Complete(any, open.substr(1) + "{\"a\":\"b\"}" + std::string(open.size() - 1, ']')));
}

TEST_CASE("enum, required and additionalProperties: the yes/no answer") {
  const json answer = {{"type", "object"},
                       {"properties", {{"answer", {{"enum", {"yes", "no"}}}}}},
                       {"required", {"answer"}},
                       {"additionalProperties", false}};
  const JsonSchema schema = Schema(answer);
  CHECK(Complete(schema, R"({"answer":"yes"})"));
  CHECK(Complete(schema, R"({ "answer": "no" })"));
  CHECK(Accepted(schema, R"({"answer":"maybe"})") == 11);
  CHECK(Accepted(schema, R"({})") == 1);              // answer is required
  CHECK(Accepted(schema, R"({"other":1})") == 2);      // no other key
  CHECK(Accepted(schema, R"({"answer":"yes","x":1})") == 15);
  CHECK(Accepted(schema, R"({"answer":"ye)") == 13);
  CHECK(!Complete(schema, R"({"answer":"yes")"));
}

TEST_CASE("properties come in schema order; optional ones may be skipped") {
  const json schema = {{"type", "object"},
                       {"properties", {{"a", {{"type", "integer"}}}, {"b", {{"type", "string"}}}}},
                       {"required", {"b"}}};
  // ordered_json keeps the schema's order: a, then b.
  const JsonSchema strict = Schema(schema, /*strict=*/true);
  CHECK(Complete(strict, R"({"a":1,"b":"x"})"));
  CHECK(Complete(strict, R"({"b":"x"})"));
  CHECK(Accepted(strict, R"({"b":"x","a":1})") == 8);
  CHECK(Accepted(strict, R"({"a":1})") == 6);  // b is required
  CHECK(Accepted(strict, R"({"a":1.5,"b":"x"})") == 6);  // an integer
  // Strict: no other properties unless the schema allows them.
  CHECK(Accepted(strict, R"({"b":"x","c":1})") == 8);
  // Not strict: additionalProperties defaults to any, after the listed ones,
  // and never one of those again.
  const JsonSchema loose = Schema(schema, /*strict=*/false);
  CHECK(Complete(loose, R"({"a":1,"b":"x","c":[1,{"d":null}]})"));
  CHECK(Accepted(loose, R"({"b":"x","a":1})") == 11);
  CHECK(Accepted(loose, R"({"c":1})") == 2);  // b comes first: it is required
  const JsonSchema typed_extra = Schema({{"additionalProperties", {{"type", "number"}}}});
  CHECK(Complete(typed_extra, R"({"x":1,"y":2.5})"));
  CHECK(Accepted(typed_extra, R"({"x":"1"})") == 5);
}

TEST_CASE("type lists, const, integers and numbers at the root") {
  CHECK(Complete(Schema({{"type", {"string", "null"}}}), "null"));
  CHECK(Complete(Schema({{"type", {"string", "null"}}}), "\"x\""));
  CHECK(Accepted(Schema({{"type", {"string", "null"}}}), "1") == 0);
  const JsonSchema answer = Schema({{"const", 42}});
  CHECK(Complete(answer, "42"));
  CHECK(!Complete(answer, "4"));
  CHECK(Accepted(answer, "43") == 1);
  const JsonSchema integer = Schema({{"type", "integer"}});
  CHECK(Complete(integer, "-12"));
  CHECK(Accepted(integer, "1.5") == 1);
  CHECK(Accepted(integer, "1e5") == 1);
  const JsonSchema number = Schema({{"type", "number"}});
  CHECK(Complete(number, "-0.5e+3"));
  CHECK(!Complete(number, "-0.5e+"));
  // A number is complete yet may go on; nothing else may follow it.
  JsonRecognizer recognizer(number);
  recognizer.Advance("12");
  CHECK(recognizer.Complete());
  CHECK(!recognizer.Finished());
  CHECK(!recognizer.Advance(' '));
  const JsonSchema numbers = Schema({{"type", "array"}, {"items", {{"enum", {1, 12, "1"}}}}});
  CHECK(Complete(numbers, R"([1,12,"1",12])"));
  CHECK(Accepted(numbers, "[13]") == 2);
}

TEST_CASE("anyOf dispatches on the first byte") {
  const JsonSchema optional =
      Schema({{"anyOf", {{{"type", "string"}, {"maxLength", 2}}, {{"type", "null"}}}}});
  CHECK(Complete(optional, "null"));
  CHECK(Complete(optional, "\"ab\""));
  CHECK(Accepted(optional, "\"abc\"") == 3);
  CHECK(Accepted(optional, "1") == 0);
  const JsonSchema one_of =
      Schema({{"oneOf", {{{"type", "integer"}}, {{"type", "object"}, {"properties", {{"k", true}}}}}}});
  CHECK(Complete(one_of, "7"));
  CHECK(Complete(one_of, R"({"k":[true]})"));
}

TEST_CASE("minItems, maxItems, minLength and maxLength") {
  const JsonSchema list =
      Schema({{"type", "array"}, {"items", {{"type", "integer"}}}, {"minItems", 1}, {"maxItems", 2}});
  CHECK(Accepted(list, "[]") == 1);
  CHECK(Complete(list, "[1]"));
  CHECK(Complete(list, "[1, 2]"));
  CHECK(Accepted(list, "[1,2,3]") == 4);
  const JsonSchema word = Schema({{"type", "string"}, {"minLength", 2}, {"maxLength", 3}});
  CHECK(Accepted(word, "\"a\"") == 2);
  CHECK(Complete(word, "\"ab\""));
  CHECK(Accepted(word, "\"abcd\"") == 4);
  // Characters, not bytes: an escape (even a surrogate pair) or a UTF-8
  // sequence is one.
  CHECK(Complete(word, R"("\u00e9\n")"));
  CHECK(Complete(word, "\"\xc3\xa9\xf0\x9f\x98\x80\""));
  CHECK(Complete(word, R"("\ud83d\ude00\ud83d\ude00")"));
}

TEST_CASE("$ref to $defs and definitions, recursive ones too (pydantic's shape)") {
  const json tree = json::parse(R"({
    "$defs": {"Node": {"type": "object",
                       "properties": {"name": {"type": "string"},
                                      "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}},
                       "required": ["name"], "additionalProperties": false}},
    "$ref": "#/$defs/Node"})");
  const JsonSchema schema = Schema(tree);
  CHECK(Complete(schema, R"({"name":"a","children":[{"name":"b"},{"name":"c","children":[]}]})"));
  CHECK(Accepted(schema, R"({"name":"a","children":[{"x":1}]})") == 26);
  const JsonSchema old = Schema(
      {{"definitions", {{"Flag", {{"type", "boolean"}}}}}, {"items", {{"$ref", "#/definitions/Flag"}}}});
  CHECK(Complete(old, "[true,false]"));
  CHECK(Accepted(old, "[1]") == 1);
}

TEST_CASE("unsupported or contradictory schemas are errors naming the keyword") {
  CHECK(ErrorPath({{"type", "string"}, {"pattern", "^a"}}) == "pattern");
  CHECK(ErrorPath({{"properties", {{"when", {{"type", "string"}, {"format", "date-time"}}}}}}) ==
        "properties.when.format");
  CHECK(ErrorPath({{"type", "number"}, {"minimum", 0}}) == "minimum");
  CHECK(ErrorPath({{"type", "text"}}) == "type");
  CHECK(ErrorPath({{"enum", json::array()}}) == "enum");
  CHECK(ErrorPath({{"anyOf", {{{"type", "string"}}, {{"enum", {"a"}}}}}}) == "anyOf");
  CHECK(ErrorPath({{"anyOf", {{{"type", "string"}}}}, {"type", "string"}}) == "anyOf");
  CHECK(ErrorPath({{"$ref", "#/$defs/Missing"}}) == "$ref");
  CHECK(ErrorPath({{"$defs", {{"A", {{"$ref", "#/$defs/A"}}}}}}) == "$ref");
  CHECK(ErrorPath({{"type", "string"}, {"minLength", 3}, {"maxLength", 2}}) == "minLength");
  CHECK(ErrorPath({{"type", "integer"}, {"enum", {1.5}}}) == "enum");
  CHECK(ErrorPath({{"required", {"a"}}}) == "required");
  CHECK(ErrorPath({{"description", "annotations pass"}, {"title", "t"}, {"type", "null"}}) ==
        "(accepted)");
}

// "#/$defs/x" is an object that must hold another x: no finite document.
const json kEndless = json::parse(R"({"type": "object", "properties": {"n": {"$ref": "#/$defs/x"}},
                                      "required": ["n"]})");

// `schema` with kEndless as "#/$defs/x".
json WithEndless(json schema) {
  schema["$defs"]["x"] = kEndless;
  return schema;
}

TEST_CASE("a schema no finite document matches is an error naming the part to blame") {
  CHECK(ErrorPath(WithEndless({{"$ref", "#/$defs/x"}})) == "$defs.x.properties.n");
  CHECK_THROWS_WITH(JsonSchema::Compile(WithEndless({{"$ref", "#/$defs/x"}}), true),
                    "'$defs.x.properties.n' is required, and no finite value satisfies it");
  // A required property, or the items minItems asks for, whose own schema
  // has none.
  const json required = {{"type", "object"},
                         {"properties", {{"a", {{"$ref", "#/$defs/x"}}}}},
                         {"required", {"a"}}};
  CHECK(ErrorPath(WithEndless(required)) == "$defs.x.properties.n");
  const json items = {{"type", "array"}, {"items", {{"$ref", "#/$defs/x"}}}, {"minItems", 1}};
  CHECK(ErrorPath(WithEndless(items)) == "$defs.x.properties.n");
  CHECK(ErrorPath({{"$defs", {{"list", {{"type", "array"}, {"items", {{"$ref", "#/$defs/list"}}},
                                        {"minItems", 1}}}}},
                   {"$ref", "#/$defs/list"}}) == "$defs.list.items");
  // Two definitions that require each other.
  CHECK(ErrorPath(json::parse(R"({"$defs": {
      "a": {"type": "object", "properties": {"b": {"$ref": "#/$defs/b"}}, "required": ["b"]},
      "b": {"type": "array", "items": {"$ref": "#/$defs/a"}, "minItems": 2}},
    "$ref": "#/$defs/a"})")) == "$defs.b.items");
  // Alternatives none of which has one.
  for (const char* keyword : {"anyOf", "oneOf"}) {
    INFO(keyword);
    CHECK(ErrorPath(WithEndless({{keyword, {{{"$ref", "#/$defs/x"}}, items}}})) == keyword);
  }
  // An object or array type beside a required part that has none.
  CHECK(ErrorPath(WithEndless({{"type", {"object", "array"}},
                               {"properties", {{"a", {{"$ref", "#/$defs/x"}}}}},
                               {"required", {"a"}},
                               {"items", {{"$ref", "#/$defs/x"}}},
                               {"minItems", 1}})) == "$defs.x.properties.n");
  // A required property that is not a property at all, or literals none of
  // which the type allows: refused as contradictory already.
  CHECK(ErrorPath({{"type", "object"},
                   {"properties", json::object()},
                   {"required", {"a"}},
                   {"additionalProperties", false}}) == "required");
  CHECK(ErrorPath({{"type", "string"}, {"enum", {1, 2}}}) == "enum");
}

TEST_CASE("look-alikes that some finite document matches are accepted") {
  // A recursive optional property: {} ends it.
  const JsonSchema optional = Schema(
      {{"$defs", {{"x", {{"type", "object"}, {"properties", {{"n", {{"$ref", "#/$defs/x"}}}}}}}}},
       {"$ref", "#/$defs/x"}});
  CHECK(Complete(optional, R"({"n":{"n":{}}})"));
  // One alternative, one type or the empty array is enough; the parts
  // without a finite document are then never started.
  const JsonSchema null_or_endless =
      Schema(WithEndless({{"anyOf", {{{"$ref", "#/$defs/x"}}, {{"type", "null"}}}}}));
  CHECK(Complete(null_or_endless, "null"));
  CHECK(Accepted(null_or_endless, "{") == 0);
  const JsonSchema string_or_endless =
      Schema(WithEndless({{"type", {"object", "string"}},
                          {"properties", {{"n", {{"$ref", "#/$defs/x"}}}}},
                          {"required", {"n"}}}));
  CHECK(Complete(string_or_endless, R"("a")"));
  CHECK(Accepted(string_or_endless, "{") == 0);
  const JsonSchema empty_list =
      Schema(WithEndless({{"type", "array"}, {"items", {{"$ref", "#/$defs/x"}}}}));
  CHECK(Complete(empty_list, "[]"));
  CHECK(Accepted(empty_list, "[{") == 1);
  // An optional property without a finite value is never written, not even
  // spelled as another property.
  const json with_n = WithEndless({{"type", "object"},
                                   {"properties", {{"n", {{"$ref", "#/$defs/x"}}},
                                                   {"s", {{"type", "string"}}}}}});
  CHECK(Complete(Schema(with_n, /*strict=*/true), R"({"s":"a"})"));
  CHECK(Accepted(Schema(with_n, /*strict=*/true), R"({"n":{}})") == 2);
  CHECK(Accepted(Schema(with_n), R"({"n":{}})") == 3);
  CHECK(Complete(Schema(with_n), R"({"nn":{},"t":1})"));
  // A required property listed in properties; an unused definition.
  CHECK(ErrorPath(WithEndless({{"type", "object"},
                               {"properties", {{"a", {{"type", "string"}}}}},
                               {"required", {"a"}},
                               {"additionalProperties", false}})) == "(accepted)");
}

// Objects required inside each other, `levels` deep.
json NestedObjects(int levels) {
  json schema = {{"type", "object"}};
  for (int level = 1; level < levels; ++level) {
    schema = {{"type", "object"}, {"properties", {{"a", schema}}}, {"required", {"a"}}};
  }
  return schema;
}

TEST_CASE("a schema whose documents must nest beyond kMaxNesting is an error") {
  CHECK(ErrorPath(NestedObjects(kMaxNesting)) == "(accepted)");
  CHECK(ErrorPath(NestedObjects(kMaxNesting + 1)).empty());
  CHECK_THROWS_WITH(JsonSchema::Compile(NestedObjects(kMaxNesting + 1), true),
                    "every document of the schema nests at least 33 objects and arrays, more than "
                    "the 32 supported");
}

TEST_CASE("at the nesting limit, a key whose value could not fit is refused before it starts") {
  const JsonSchema tree = Schema(json::parse(R"({
    "$defs": {"t": {"type": "object", "properties": {"c": {"$ref": "#/$defs/t"}}}},
    "$ref": "#/$defs/t"})"), /*strict=*/true);
  std::string deepest;  // kMaxNesting objects open
  for (int level = 1; level < kMaxNesting; ++level) deepest += R"({"c":)";
  deepest += "{";
  const std::string close(kMaxNesting, '}');
  CHECK(Accepted(tree, deepest + R"("c":{}})") == deepest.size());
  CHECK(Complete(tree, deepest + close));
  // Other keys: any string but one that spells "c".
  const JsonSchema loose = Schema(json::parse(R"({
    "$defs": {"t": {"type": "object", "properties": {"c": {"$ref": "#/$defs/t"}},
                    "additionalProperties": {"type": "string"}}},
    "$ref": "#/$defs/t"})"));
  CHECK(Accepted(loose, deepest + R"("c":{}})") == deepest.size() + 2);
  CHECK(Complete(loose, deepest + R"("cd":"x")" + close));
}

}  // namespace
}  // namespace bitbrain::generate
