#include "engine/generate/json_schema.h"

#include <algorithm>
#include <map>
#include <set>

namespace bitbrain::generate {
namespace {

using json = nlohmann::ordered_json;

// Keywords that describe a schema without constraining it.
const std::set<std::string> kAnnotations = {"title",   "description", "default", "examples",
                                            "$schema", "$id",         "$comment"};

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// The kind of value a compact JSON text is.
ValueKind KindOf(const std::string& text) {
  switch (text[0]) {
    case '{': return ValueKind::kObject;
    case '[': return ValueKind::kArray;
    case '"': return ValueKind::kString;
    case 't':
    case 'f': return ValueKind::kBoolean;
    case 'n': return ValueKind::kNull;
    default: return ValueKind::kNumber;
  }
}

uint8_t TypeBitsOf(ValueKind kind) {
  switch (kind) {
    case ValueKind::kObject: return kObjectType;
    case ValueKind::kArray: return kArrayType;
    case ValueKind::kString: return kStringType;
    case ValueKind::kNumber: return kNumberType | kIntegerType;
    case ValueKind::kBoolean: return kBooleanType;
    case ValueKind::kNull: return kNullType;
  }
  return 0;
}

uint8_t TypeNamed(const json& name, const std::string& path) {
  static const std::map<std::string, uint8_t> kTypes = {
      {"object", kObjectType},   {"array", kArrayType},     {"string", kStringType},
      {"number", kNumberType},   {"integer", kIntegerType}, {"boolean", kBooleanType},
      {"null", kNullType}};
  const auto it = name.is_string() ? kTypes.find(name.get<std::string>()) : kTypes.end();
  if (it == kTypes.end()) {
    throw SchemaError(path, "'" + path + "' must name JSON types (object, array, string, number, "
                                   "integer, boolean, null)");
  }
  return it->second;
}

// Whether a value of `kind` may come for `node`, which is neither a $ref nor
// alternatives.
bool StartsAs(const SchemaNode& node, ValueKind kind) {
  if (!node.has_literals) return (node.types & TypeBitsOf(kind)) != 0;
  return std::any_of(node.literals.begin(), node.literals.end(),
                     [&](const std::string& text) { return KindOf(text) == kind; });
}

int Count(const json& schema, const char* keyword, const std::string& path) {
  const json& value = schema.at(keyword);
  if (!value.is_number_integer() || value.get<int64_t>() < 0 || value.get<int64_t>() > INT_MAX) {
    throw SchemaError(Join(path, keyword), "'" + Join(path, keyword) +
                                               "' must be a non-negative integer");
  }
  return static_cast<int>(value.get<int64_t>());
}

}  // namespace

// Compiles one schema document into JsonSchema's node table.
class SchemaCompiler {
 public:
  SchemaCompiler(const json& root, bool strict, JsonSchema& out)
      : root_(root), strict_(strict), schema_(out), nodes_(out.nodes_) {
    SchemaNode& any = nodes_[NewNode("")];
    any.items = JsonSchema::kAnyValue;
    any.additional = JsonSchema::kAnyValue;
  }

  int CompileRoot() {
    if (!root_.is_object()) throw SchemaError("", "the schema must be a JSON object");
    // Every definition is compiled, used or not, so none hides an error.
    for (const char* defs : {"$defs", "definitions"}) {
      if (!root_.contains(defs)) continue;
      if (!root_[defs].is_object()) throw SchemaError(defs, "'" + std::string(defs) + "' must be an object");
      for (const auto& [name, schema] : root_[defs].items()) {
        Ref("#/" + std::string(defs) + "/" + name, defs);
      }
    }
    const int root = Compile(root_, "", /*is_root=*/true);
    Link();
    MeasureNesting(root);
    return root;
  }

 private:
  // A new node for the schema at `path`.
  int NewNode(const std::string& path) {
    nodes_.emplace_back();
    paths_.push_back(path);
    return static_cast<int>(nodes_.size()) - 1;
  }

  int Compile(const json& schema, const std::string& path, bool is_root = false) {
    if (schema.is_boolean()) {
      if (schema.get<bool>()) return JsonSchema::kAnyValue;
      throw SchemaError(path, "'" + path + "': the schema 'false' allows no value");
    }
    if (!schema.is_object()) throw SchemaError(path, "'" + path + "' must be a schema (an object)");
    const int index = NewNode(path);
    CheckKeywords(schema, path, is_root);
    if (schema.contains("$ref")) {
      const int target = Ref(schema["$ref"], Join(path, "$ref"));
      nodes_[index].ref = target;
      return index;
    }
    if (schema.contains("anyOf") || schema.contains("oneOf")) {
      CompileAlternatives(index, schema, path);
      return index;
    }
    CompileTypes(index, schema, path);
    if (schema.contains("enum") || schema.contains("const")) {
      CompileLiterals(index, schema, path);
      return index;
    }
    if (nodes_[index].types & kObjectType) CompileObject(index, schema, path);
    if (nodes_[index].types & kArrayType) CompileArray(index, schema, path);
    if (nodes_[index].types & kStringType) CompileString(index, schema, path);
    return index;
  }

  void CheckKeywords(const json& schema, const std::string& path, bool is_root) {
    static const std::set<std::string> kSupported = {
        "type",     "properties", "required",  "additionalProperties", "items",
        "enum",     "const",      "anyOf",     "oneOf",                "minItems",
        "maxItems", "minLength",  "maxLength", "$ref"};
    std::vector<std::string> constraining;
    for (const auto& [keyword, value] : schema.items()) {
      if (kAnnotations.count(keyword)) continue;
      if (is_root && (keyword == "$defs" || keyword == "definitions")) continue;
      if (!kSupported.count(keyword)) {
        throw SchemaError(Join(path, keyword), "'" + Join(path, keyword) + "' is not supported");
      }
      constraining.push_back(keyword);
    }
    // $ref, anyOf and oneOf stand alone: what would combine with them is not
    // enforced.
    for (const char* alone : {"$ref", "anyOf", "oneOf"}) {
      if (schema.contains(alone) && constraining.size() > 1) {
        throw SchemaError(Join(path, alone), "'" + Join(path, alone) +
                                                 "' must be the only constraint of its schema");
      }
    }
  }

  // The node of "#/$defs/NAME" or "#/definitions/NAME", compiled once; its
  // index exists before its body is compiled, so definitions may recurse.
  int Ref(const json& ref, const std::string& path) {
    const std::string text = ref.is_string() ? ref.get<std::string>() : "";
    if (const auto it = refs_.find(text); it != refs_.end()) return it->second;
    for (const char* defs : {"$defs", "definitions"}) {
      const std::string prefix = "#/" + std::string(defs) + "/";
      if (!text.starts_with(prefix)) continue;
      const std::string name = text.substr(prefix.size());
      if (root_.contains(defs) && root_[defs].is_object() && root_[defs].contains(name)) {
        const std::string def_path = std::string(defs) + "." + name;
        const int index = NewNode(def_path);
        refs_[text] = index;
        nodes_[index].ref = Compile(root_[defs][name], def_path);
        return index;
      }
    }
    throw SchemaError(path, "'" + path + "' must be \"#/$defs/NAME\" or \"#/definitions/NAME\" "
                                         "of a definition in this schema");
  }

  void CompileTypes(int index, const json& schema, const std::string& path) {
    if (!schema.contains("type")) {
      // Object or array keywords without a type imply it.
      const bool object = schema.contains("properties") || schema.contains("additionalProperties") ||
                          schema.contains("required");
      const bool array = schema.contains("items") || schema.contains("minItems") ||
                         schema.contains("maxItems");
      const bool string = schema.contains("minLength") || schema.contains("maxLength");
      if (object || array || string) {
        nodes_[index].types = (object ? kObjectType : 0) | (array ? kArrayType : 0) |
                              (string ? kStringType : 0);
      }
      return;
    }
    const json& type = schema["type"];
    const std::string type_path = Join(path, "type");
    uint8_t types = 0;
    if (type.is_array()) {
      for (const json& name : type) types |= TypeNamed(name, type_path);
    } else {
      types = TypeNamed(type, type_path);
    }
    if (types == 0) throw SchemaError(type_path, "'" + type_path + "' must name at least one type");
    nodes_[index].types = types;
  }

  void CompileLiterals(int index, const json& schema, const std::string& path) {
    std::vector<json> values;
    std::string where;
    if (schema.contains("const")) {
      if (schema.contains("enum")) throw SchemaError(Join(path, "const"), "'" + Join(path, "const") + "' and 'enum' together are not supported");
      values.push_back(schema["const"]);
      where = Join(path, "const");
    } else {
      where = Join(path, "enum");
      if (!schema["enum"].is_array() || schema["enum"].empty() ||
          schema["enum"].size() > kMaxLiterals) {
        throw SchemaError(where, "'" + where + "' must be an array of 1 to " +
                                     std::to_string(kMaxLiterals) + " values");
      }
      values.assign(schema["enum"].begin(), schema["enum"].end());
    }
    SchemaNode& node = nodes_[index];
    node.has_literals = true;
    for (const json& value : values) {
      std::string text = value.dump();
      const bool integer_only = (node.types & (kNumberType | kIntegerType)) == kIntegerType;
      if (!(node.types & TypeBitsOf(KindOf(text))) || (integer_only && value.is_number_float())) {
        throw SchemaError(where, "'" + where + "' holds " + text + ", which its 'type' forbids");
      }
      if (std::find(node.literals.begin(), node.literals.end(), text) == node.literals.end()) {
        node.literals.push_back(std::move(text));
      }
    }
  }

  void CompileAlternatives(int index, const json& schema, const std::string& path) {
    const char* keyword = schema.contains("anyOf") ? "anyOf" : "oneOf";
    const std::string where = Join(path, keyword);
    const json& list = schema[keyword];
    if (!list.is_array() || list.empty()) {
      throw SchemaError(where, "'" + where + "' must be a non-empty array of schemas");
    }
    std::vector<int> alternatives;
    for (size_t i = 0; i < list.size(); ++i) {
      alternatives.push_back(Compile(list[i], where + "." + std::to_string(i)));
    }
    nodes_[index].has_alternatives = true;
    pending_alternatives_.push_back({index, std::move(alternatives), where});
  }

  void CompileObject(int index, const json& schema, const std::string& path) {
    std::vector<std::string> names;
    if (schema.contains("properties")) {
      const std::string where = Join(path, "properties");
      if (!schema["properties"].is_object() || schema["properties"].size() > kMaxLiterals) {
        throw SchemaError(where, "'" + where + "' must be an object of at most " +
                                     std::to_string(kMaxLiterals) + " properties");
      }
      for (const auto& [name, property] : schema["properties"].items()) {
        names.push_back(name);
        const int property_node = Compile(property, where + "." + name);
        nodes_[index].property_keys.push_back(json(name).dump());
        nodes_[index].property_nodes.push_back(property_node);
      }
    }
    SchemaNode& node = nodes_[index];
    node.required.assign(names.size(), false);
    if (schema.contains("required")) {
      const std::string where = Join(path, "required");
      if (!schema["required"].is_array()) throw SchemaError(where, "'" + where + "' must be an array of property names");
      for (const json& name : schema["required"]) {
        const auto it = name.is_string() ? std::find(names.begin(), names.end(), name.get<std::string>())
                                         : names.end();
        if (it == names.end()) {
          throw SchemaError(where, "'" + where + "' may only name properties listed in 'properties'");
        }
        nodes_[index].required[it - names.begin()] = true;
      }
    }
    if (schema.contains("additionalProperties")) {
      const json& additional = schema["additionalProperties"];
      const int additional_node =
          additional == json(false) ? -1 : Compile(additional, Join(path, "additionalProperties"));
      nodes_[index].additional = additional_node;
    } else {
      nodes_[index].additional = strict_ ? -1 : JsonSchema::kAnyValue;
    }
  }

  void CompileArray(int index, const json& schema, const std::string& path) {
    if (schema.contains("items")) {
      const int items = Compile(schema["items"], Join(path, "items"));
      nodes_[index].items = items;
    }
    SchemaNode& node = nodes_[index];
    if (schema.contains("minItems")) node.min_items = Count(schema, "minItems", path);
    if (schema.contains("maxItems")) node.max_items = Count(schema, "maxItems", path);
    if (node.min_items > node.max_items) {
      throw SchemaError(Join(path, "minItems"), "'" + Join(path, "minItems") + "' exceeds 'maxItems'");
    }
  }

  void CompileString(int index, const json& schema, const std::string& path) {
    SchemaNode& node = nodes_[index];
    if (schema.contains("minLength")) node.min_length = Count(schema, "minLength", path);
    if (schema.contains("maxLength")) node.max_length = Count(schema, "maxLength", path);
    if (node.min_length > node.max_length) {
      throw SchemaError(Join(path, "minLength"), "'" + Join(path, "minLength") + "' exceeds 'maxLength'");
    }
  }

  // The kinds of value node `index` can start with.
  uint8_t FirstKinds(int index, const std::string& where, int depth = 0) {
    if (depth > static_cast<int>(nodes_.size())) {
      throw SchemaError(where, "'" + where + "' refers to itself without a value in between");
    }
    const SchemaNode& node = nodes_[index];
    if (node.ref >= 0) return FirstKinds(node.ref, where, depth + 1);
    uint8_t kinds = 0;
    if (node.has_alternatives) {
      for (const Pending& pending : pending_alternatives_) {
        if (pending.index != index) continue;
        for (const int alternative : pending.alternatives) {
          kinds |= FirstKinds(alternative, where, depth + 1);
        }
      }
      return kinds;
    }
    for (int kind = 0; kind < kValueKinds; ++kind) {
      if (StartsAs(node, static_cast<ValueKind>(kind))) kinds |= 1 << kind;
    }
    return kinds;
  }

  // Once every node exists: the alternatives' dispatch by first byte, and
  // no $ref that only refers to itself.
  void Link() {
    for (const Pending& pending : pending_alternatives_) {
      SchemaNode& node = nodes_[pending.index];
      for (const int alternative : pending.alternatives) {
        const uint8_t kinds = FirstKinds(alternative, pending.where);
        for (int kind = 0; kind < kValueKinds; ++kind) {
          if (!(kinds & (1 << kind))) continue;
          if (node.alternative[kind] >= 0) {
            throw SchemaError(pending.where,
                              "'" + pending.where + "': alternatives must start differently (at "
                                                    "most one object, array, string, number, "
                                                    "boolean and null among them)");
          }
          node.alternative[kind] = alternative;
        }
      }
    }
    for (size_t i = 0; i < nodes_.size(); ++i) FirstKinds(static_cast<int>(i), "$ref");
  }

  // Once linked: every node's min_nesting, and a SchemaError unless the root
  // has a document within kMaxNesting levels. A fixed point: every value
  // starts at kNoDocument and is recomputed from the current values of the
  // parts each document must hold (required properties, minItems' items, the
  // $ref's target, the alternative of that kind) until none changes. Values
  // only decrease, so this ends; one becomes finite only once those parts
  // are, so each ends as the least nesting of a finite document, and a node
  // that must hold itself (a required self-reference) keeps kNoDocument.
  void MeasureNesting(int root) {
    for (bool changed = true; changed;) {
      changed = false;
      // Backwards, since a node's parts mostly come after it: fewer rounds.
      for (size_t i = nodes_.size(); i-- > 0;) {
        for (int kind = 0; kind < kValueKinds; ++kind) {
          const int nesting = Nesting(nodes_[i], static_cast<ValueKind>(kind));
          if (nesting < nodes_[i].min_nesting[kind]) {
            nodes_[i].min_nesting[kind] = nesting;
            changed = true;
          }
        }
      }
    }
    const int nesting = schema_.MinNesting(root);
    if (nesting == kNoDocument) ThrowUnsatisfiable(root);
    if (nesting > kMaxNesting) {
      throw SchemaError("", "every document of the schema nests at least " +
                                std::to_string(nesting) + " objects and arrays, more than the " +
                                std::to_string(kMaxNesting) + " supported");
    }
  }

  // The least nesting of a document of `node` that starts as `kind`, from
  // its parts' current min_nesting.
  int Nesting(const SchemaNode& node, ValueKind kind) const {
    const int k = static_cast<int>(kind);
    if (node.ref >= 0) return nodes_[node.ref].min_nesting[k];
    if (node.has_alternatives) {
      return node.alternative[k] < 0 ? kNoDocument : nodes_[node.alternative[k]].min_nesting[k];
    }
    if (!StartsAs(node, kind)) return kNoDocument;
    if (kind != ValueKind::kObject && kind != ValueKind::kArray) return 0;
    if (node.has_literals) return 1;  // written as text, in one frame
    int inner = 0;  // the deepest part every such document holds
    if (kind == ValueKind::kObject) {
      for (size_t i = 0; i < node.required.size(); ++i) {
        if (node.required[i]) inner = std::max(inner, schema_.MinNesting(node.property_nodes[i]));
      }
    } else if (node.min_items > 0) {
      inner = schema_.MinNesting(node.items);
    }
    return inner == kNoDocument ? kNoDocument : inner + 1;
  }

  // Throws the SchemaError for node `index`, which has no finite document.
  // Each part it must hold that has none either leads on, to an anyOf / oneOf
  // none of whose alternatives has one, or back to a node passed already: a
  // cycle, which only a required property or minItems closes (Link() refused
  // $ref cycles), and the last of those passed is to blame.
  [[noreturn]] void ThrowUnsatisfiable(int index) const {
    std::vector<bool> passed(nodes_.size(), false);
    std::string path, message;
    while (!passed[index]) {
      passed[index] = true;
      const SchemaNode& node = nodes_[index];
      if (node.ref >= 0) {
        index = node.ref;
      } else if (node.has_alternatives) {
        const std::string& where =
            std::find_if(pending_alternatives_.begin(), pending_alternatives_.end(),
                         [&](const Pending& pending) { return pending.index == index; })
                ->where;
        throw SchemaError(where, "no alternative of '" + where + "' has a finite value");
      } else if (node.types & kObjectType) {
        // Only objects and arrays can lack one; a node that may be both lacks both.
        size_t i = 0;
        while (!node.required[i] || schema_.MinNesting(node.property_nodes[i]) != kNoDocument) ++i;
        index = node.property_nodes[i];
        path = paths_[index];
        message = "'" + path + "' is required, and no finite value satisfies it";
      } else {
        index = node.items;
        path = paths_[index];
        message = "'" + path + "' is required by 'minItems', and no finite value satisfies it";
      }
    }
    throw SchemaError(path, message);
  }

  struct Pending {
    int index;
    std::vector<int> alternatives;
    std::string where;
  };

  const json& root_;
  const bool strict_;
  const JsonSchema& schema_;  // what is being compiled: nodes_
  std::vector<SchemaNode>& nodes_;
  std::vector<std::string> paths_;  // of each node, for errors
  std::map<std::string, int> refs_;
  std::vector<Pending> pending_alternatives_;
};

JsonSchema JsonSchema::Compile(const json& schema, bool strict) {
  JsonSchema compiled;
  SchemaCompiler compiler(schema, strict, compiled);
  compiled.root_ = compiler.CompileRoot();
  return compiled;
}

JsonSchema JsonSchema::AnyObject() { return Compile({{"type", "object"}}, /*strict=*/false); }

int JsonSchema::Resolve(int index, ValueKind kind) const {
  // Compile() ruled out $ref and alternatives that lead back to themselves.
  while (true) {
    const SchemaNode& node = nodes_[index];
    if (node.ref >= 0) {
      index = node.ref;
    } else if (node.has_alternatives) {
      index = node.alternative[static_cast<int>(kind)];
      if (index < 0) return -1;
    } else {
      return StartsAs(node, kind) ? index : -1;
    }
  }
}

int JsonSchema::MinNesting(int index) const {
  const std::array<int, kValueKinds>& nesting = nodes_[index].min_nesting;
  return *std::min_element(nesting.begin(), nesting.end());
}

}  // namespace bitbrain::generate
