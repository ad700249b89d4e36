// The JSON Schema subset that constrained decoding enforces (json_constraint.h),
// compiled from its JSON form into a table of nodes.
//
// Supported keywords: type (one name or a list), properties + required,
// additionalProperties (bool or a schema), items, enum, const, anyOf / oneOf
// (alternatives must start differently: at most one object, one array, one
// string, one number or integer, one boolean, one null), minItems / maxItems,
// minLength / maxLength, $ref to "#/$defs/NAME" or "#/definitions/NAME", and
// the annotations title, description, default, examples, $schema, $id,
// $comment. Any other keyword is a SchemaError naming it: nothing is silently
// ignored. So is a schema that no finite document nesting at most
// kMaxNesting objects and arrays matches (a required property that must hold
// itself, an anyOf none of whose alternatives can end): the request fails
// before generation rather than in the middle of it.
//
// How the output is generated, where the schema leaves a choice:
// properties come in schema order (optional ones may be skipped), then the
// additional properties if allowed; enum and const values are written as
// their compact JSON (nlohmann::json::dump()).
#ifndef BITBRAIN_ENGINE_GENERATE_JSON_SCHEMA_H_
#define BITBRAIN_ENGINE_GENERATE_JSON_SCHEMA_H_

#include <array>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bitbrain::generate {

// A schema the compiler cannot enforce; `path` is where in the schema, in
// dotted form ("properties.answer.pattern"; empty for the root).
class SchemaError : public std::invalid_argument {
 public:
  SchemaError(std::string path, const std::string& message)
      : std::invalid_argument(message), path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// What the first byte of a JSON value says it is.
enum class ValueKind : uint8_t { kObject, kArray, kString, kNumber, kBoolean, kNull };
constexpr int kValueKinds = 6;

// Bits of SchemaNode::types.
enum TypeBits : uint8_t {
  kObjectType = 1 << 0,
  kArrayType = 1 << 1,
  kStringType = 1 << 2,
  kNumberType = 1 << 3,
  kIntegerType = 1 << 4,
  kBooleanType = 1 << 5,
  kNullType = 1 << 6,
  kAnyType = 0x7f,
};

constexpr int kMaxLiterals = 64;  // enum values, properties of one object
// Objects and arrays nest at most this deep in a document (the recognizer's
// stack of frames).
constexpr int kMaxNesting = 32;
// SchemaNode::min_nesting where a node has no finite document.
constexpr int kNoDocument = INT_MAX;

struct SchemaNode {
  int ref = -1;  // a $ref: this node stands for node `ref`
  uint8_t types = kAnyType;
  // enum / const: the value is one of these compact JSON texts.
  bool has_literals = false;
  std::vector<std::string> literals;
  // anyOf / oneOf: the alternative for each first-byte kind (-1: none).
  bool has_alternatives = false;
  std::array<int, kValueKinds> alternative{-1, -1, -1, -1, -1, -1};
  // object
  std::vector<std::string> property_keys;  // JSON strings, quotes included
  std::vector<int> property_nodes;
  std::vector<bool> required;
  int additional = -1;  // the schema of other properties; -1: none allowed
  // array
  int items = 0;
  int min_items = 0;
  int max_items = INT_MAX;
  // string
  int min_length = 0;
  int max_length = INT_MAX;
  // For each first-byte kind: the fewest levels of objects and arrays a
  // document of this node starting as that kind nests (the value itself
  // included), or kNoDocument.
  std::array<int, kValueKinds> min_nesting{kNoDocument, kNoDocument, kNoDocument,
                                           kNoDocument, kNoDocument, kNoDocument};
};

class JsonSchema {
 public:
  // Compiles `schema` (an ordered_json: properties are generated in the
  // schema's order, which nlohmann::json's sorted objects would lose).
  // `strict` (json_schema.strict) makes additionalProperties false where the
  // schema does not say. Throws SchemaError.
  static JsonSchema Compile(const nlohmann::ordered_json& schema, bool strict);
  // Any JSON object (response_format json_object).
  static JsonSchema AnyObject();

  // Node 0 is the schema that allows any value.
  static constexpr int kAnyValue = 0;
  int root() const { return root_; }
  const SchemaNode& node(int index) const { return nodes_[index]; }

  // The node (refs followed) that a value of `kind` must match when `index`
  // is expected, or -1 if no value of that kind may come.
  int Resolve(int index, ValueKind kind) const;
  // The fewest levels of objects and arrays in a document of node `index`,
  // or kNoDocument.
  int MinNesting(int index) const;

 private:
  friend class SchemaCompiler;
  std::vector<SchemaNode> nodes_;
  int root_ = 0;
};

}  // namespace bitbrain::generate

#endif  // BITBRAIN_ENGINE_GENERATE_JSON_SCHEMA_H_
