// An incremental recognizer of one JSON document valid against a JsonSchema,
// byte by byte: Advance() says whether the bytes so far are still the prefix
// of such a document, Complete() whether they are one.
//
// It is a pushdown automaton whose stack holds one small frame per open
// value (object, array, string, number, literal), so copying a recognizer is
// a copy of a few dozen bytes per nesting level: JsonConstraint copies it at
// every node of the vocabulary trie it walks.
//
// What it accepts beyond the schema (json_schema.h says what the schema
// decides): strings with every JSON escape and any well-formed UTF-8 (no raw
// control characters, no lone surrogate escapes, which nlohmann::json would
// refuse); numbers in JSON's grammar (no "01", "1.", ".5" or "+1"; integers
// without fraction or exponent) with at most 19 integer, 17 fraction and 3
// exponent digits; at most kMaxWhitespaceRun whitespace bytes in a row
// between tokens, none before or after the document, so a model cannot stall
// on whitespace or digits; at most kMaxNesting nested objects and arrays.
//
// Every prefix it accepts can be completed: a value, a key or an item starts
// only if the schema has a document for it within the nesting left
// (SchemaNode::min_nesting), so constrained decoding, which has a token for
// every byte (Tokenizer requires them), always has a token to go on with.
#ifndef BITBRAIN_ENGINE_GENERATE_JSON_RECOGNIZER_H_
#define BITBRAIN_ENGINE_GENERATE_JSON_RECOGNIZER_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/generate/json_schema.h"

namespace bitbrain::generate {

class JsonRecognizer {
 public:
  static constexpr int kMaxWhitespaceRun = 2;

  // Expects one value of `schema`'s root. The schema must outlive it.
  explicit JsonRecognizer(const JsonSchema& schema);

  // Takes one more byte; false if it cannot follow the bytes so far, after
  // which the recognizer rejects everything.
  bool Advance(uint8_t byte);
  bool Advance(std::string_view bytes);

  // The bytes so far are a whole document (more bytes may still be allowed,
  // as after the digits of a number).
  bool Complete() const;
  // The document is complete and no byte may follow.
  bool Finished() const { return depth_ == 0; }
  // Inside a string, between characters, with no maxLength: any whole UTF-8
  // characters other than '"', '\\' and control characters may follow.
  bool InFreeString() const;

  // Becomes a copy of `other` (of the same schema), copying only the frames
  // in use.
  void CopyFrom(const JsonRecognizer& other);

 private:
  // kValue: a value whose first byte has not come yet; it then becomes one of
  // the others (kLiteral: true, false, null, an enum or const value, a key).
  enum class Kind : uint8_t { kValue, kObject, kArray, kString, kNumber, kLiteral };

  // One open value. Fields beyond kind and phase serve some kinds only.
  struct Frame {
    Kind kind = Kind::kValue;
    uint8_t phase = 0;
    // kString: escape and UTF-8 progress.
    uint8_t escape = 0;
    bool low_surrogate_due = false;  // the \u being read must be a low surrogate
    bool maybe_surrogate = false;    // its first hex digit was D
    bool high_surrogate = false;     // it is a high surrogate
    uint8_t utf8_left = 0;           // continuation bytes still due
    uint8_t utf8_low = 0, utf8_high = 0;  // the next continuation byte's range
    bool integer = false;  // kNumber: no fraction or exponent
    int32_t node = -1;     // the schema node (-1: none, an object key)
    // kObject: the next property's index; kArray: items so far; kString:
    // characters so far.
    int32_t count = 0;
    int32_t value_node = -1;  // kObject: the schema of the value being read
    // kLiteral and object keys: which of `literals` still match the bytes
    // since the frame began (bit i: literals[i]), and how many bytes that is.
    const std::vector<std::string>* literals = nullptr;
    uint64_t mask = 0;
    int32_t pos = 0;
    int32_t chosen = -1;  // an object key, when done: the property (-1: another)
  };

  bool Step(uint8_t byte);
  bool StepValue(Frame& frame, uint8_t byte);
  bool StepObject(Frame& frame, uint8_t byte);
  bool StepArray(Frame& frame, uint8_t byte);
  bool StepString(Frame& frame, uint8_t byte);
  bool StepEscape(Frame& frame, uint8_t byte);
  bool StepNumber(Frame& frame, uint8_t byte, bool& done);
  bool StepLiteral(Frame& frame, uint8_t byte, bool& done);
  // A value of schema node `node` in frames_[at] can be completed: its
  // least nesting fits in the frames from `at` on.
  bool Fits(int node, int at) const;
  // Object keys, for the object on top: the properties that may come next
  // (bit i: property i), whether another key may, whether any key may start,
  // whether '}' may close.
  uint64_t NextProperties(const Frame& object) const;
  bool OtherKeyMayCome(const Frame& object) const;
  bool KeyMayStart(const Frame& object) const;
  bool ObjectMayClose(const Frame& object) const;
  bool StartKey(Frame& object);

  bool Whitespace();
  bool Push(const Frame& frame);
  // Closes the top frame and tells its parent.
  void Pop();

  const JsonSchema* schema_;
  std::array<Frame, kMaxNesting + 1> frames_;  // frames_[0, depth_)
  int depth_ = 0;
  int whitespace_run_ = 0;
  bool whitespace_step_ = false;  // the last byte was whitespace between tokens
  bool failed_ = false;
};

}  // namespace bitbrain::generate

#endif  // BITBRAIN_ENGINE_GENERATE_JSON_RECOGNIZER_H_
