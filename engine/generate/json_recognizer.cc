#include "engine/generate/json_recognizer.h"

#include <algorithm>
#include <bit>

#include "engine/tokenizer/utf8.h"

namespace bitbrain::generate {
namespace {

const std::vector<std::string> kBooleans = {"true", "false"};
const std::vector<std::string> kNull = {"null"};

// Object phases.
enum : uint8_t { kObjectOpen, kFirstKey, kInKey, kColon, kInValue, kAfterValue, kNextKey };
// Array phases.
enum : uint8_t { kArrayOpen, kFirstItem, kInItem, kAfterItem, kNextItem };
// String phases, and the escape within kStringBody.
enum : uint8_t { kStringOpen, kStringBody };
enum : uint8_t { kNoEscape, kBackslash, kHex0, kHex1, kHex2, kHex3, kLowBackslash, kLowU };
// Number phases: JSON's number grammar.
enum : uint8_t { kSign, kMinus, kZero, kInteger, kDot, kFraction, kExponent, kExponentSign,
                 kExponentDigits };

bool IsWhitespace(uint8_t byte) {
  return byte == ' ' || byte == '\n' || byte == '\t' || byte == '\r';
}
bool IsDigit(uint8_t byte) { return byte >= '0' && byte <= '9'; }
bool IsHex(uint8_t byte) {
  return IsDigit(byte) || (byte >= 'a' && byte <= 'f') || (byte >= 'A' && byte <= 'F');
}
// The hex digit's value, for a byte IsHex accepts.
int HexValue(uint8_t byte) {
  return IsDigit(byte) ? byte - '0' : (byte | 0x20) - 'a' + 10;
}

// What a value's first byte says it is; false for a byte no value starts with.
bool KindOfFirstByte(uint8_t byte, ValueKind& kind) {
  if (byte == '{') kind = ValueKind::kObject;
  else if (byte == '[') kind = ValueKind::kArray;
  else if (byte == '"') kind = ValueKind::kString;
  else if (byte == '-' || IsDigit(byte)) kind = ValueKind::kNumber;
  else if (byte == 't' || byte == 'f') kind = ValueKind::kBoolean;
  else if (byte == 'n') kind = ValueKind::kNull;
  else return false;
  return true;
}

// The literals in `mask` whose byte at `pos` is `byte`.
uint64_t MatchByte(const std::vector<std::string>& literals, uint64_t mask, int pos, uint8_t byte) {
  uint64_t matching = 0;
  for (uint64_t rest = mask; rest != 0; rest &= rest - 1) {
    const int i = std::countr_zero(rest);
    const std::string& literal = literals[i];
    if (static_cast<size_t>(pos) < literal.size() && static_cast<uint8_t>(literal[pos]) == byte) {
      matching |= uint64_t{1} << i;
    }
  }
  return matching;
}

// The literal in `mask` that is exactly `pos` bytes long, or -1.
int CompleteLiteral(const std::vector<std::string>& literals, uint64_t mask, int pos) {
  for (uint64_t rest = mask; rest != 0; rest &= rest - 1) {
    const int i = std::countr_zero(rest);
    if (literals[i].size() == static_cast<size_t>(pos)) return i;
  }
  return -1;
}

uint64_t AllOf(size_t count) { return count >= 64 ? ~uint64_t{0} : (uint64_t{1} << count) - 1; }

// The first required property at or after `next`, or the property count.
int NextRequired(const SchemaNode& node, int next) {
  const auto it = std::find(node.required.begin() + next, node.required.end(), true);
  return static_cast<int>(it - node.required.begin());
}

}  // namespace

JsonRecognizer::JsonRecognizer(const JsonSchema& schema) : schema_(&schema) {
  frames_[0] = Frame{.kind = Kind::kValue, .node = schema.root()};
  depth_ = 1;
}

void JsonRecognizer::CopyFrom(const JsonRecognizer& other) {
  schema_ = other.schema_;
  std::copy_n(other.frames_.begin(), other.depth_, frames_.begin());
  depth_ = other.depth_;
  whitespace_run_ = other.whitespace_run_;
  failed_ = other.failed_;
}

bool JsonRecognizer::Advance(std::string_view bytes) {
  for (const char byte : bytes) {
    if (!Advance(static_cast<uint8_t>(byte))) return false;
  }
  return true;
}

bool JsonRecognizer::Advance(uint8_t byte) {
  if (failed_) return false;
  whitespace_step_ = false;
  if (!Step(byte)) {
    failed_ = true;
    return false;
  }
  if (!whitespace_step_) whitespace_run_ = 0;
  return true;
}

bool JsonRecognizer::Complete() const {
  if (failed_) return false;
  if (depth_ == 0) return true;
  if (depth_ > 1) return false;
  // Only a number or a literal (an enum of numbers) may be complete yet open.
  const Frame& frame = frames_[0];
  if (frame.kind == Kind::kNumber) {
    return frame.phase == kZero || frame.phase == kInteger || frame.phase == kFraction ||
           frame.phase == kExponentDigits;
  }
  return frame.kind == Kind::kLiteral && CompleteLiteral(*frame.literals, frame.mask, frame.pos) >= 0;
}

bool JsonRecognizer::InFreeString() const {
  if (failed_ || depth_ == 0) return false;
  const Frame& frame = frames_[depth_ - 1];
  return frame.kind == Kind::kString && frame.phase == kStringBody && frame.escape == kNoEscape &&
         frame.utf8_left == 0 &&
         (frame.node < 0 || schema_->node(frame.node).max_length == INT32_MAX);
}

bool JsonRecognizer::Step(uint8_t byte) {
  // A number or a literal ends at the first byte that cannot continue it;
  // that byte then goes to the enclosing value: hence the loop.
  while (depth_ > 0) {
    Frame& frame = frames_[depth_ - 1];
    bool done = false;
    switch (frame.kind) {
      case Kind::kValue: {
        // The reply starts with the document itself.
        if (IsWhitespace(byte)) return depth_ > 1 && Whitespace();
        if (!StepValue(frame, byte)) return false;
        continue;  // the typed frame now takes the byte
      }
      case Kind::kObject: return StepObject(frame, byte);
      case Kind::kArray: return StepArray(frame, byte);
      case Kind::kString: return StepString(frame, byte);
      case Kind::kNumber:
        if (!StepNumber(frame, byte, done)) return false;
        break;
      case Kind::kLiteral:
        if (!StepLiteral(frame, byte, done)) return false;
        break;
    }
    if (!done) return true;
    Pop();  // it ended before this byte
  }
  return false;  // the document is finished
}

bool JsonRecognizer::StepValue(Frame& frame, uint8_t byte) {
  ValueKind kind;
  if (!KindOfFirstByte(byte, kind)) return false;
  // Only a value that can be completed in the frames left may start; one of
  // a kind the schema refuses never can (kNoDocument), so Resolve() finds it.
  const int frames_left = kMaxNesting - (depth_ - 1);
  if (schema_->node(frame.node).min_nesting[static_cast<int>(kind)] > frames_left) return false;
  const int node_index = schema_->Resolve(frame.node, kind);
  const SchemaNode& node = schema_->node(node_index);
  Frame typed{.node = node_index};
  if (node.has_literals) {
    typed.kind = Kind::kLiteral;
    typed.literals = &node.literals;
    typed.mask = AllOf(node.literals.size());
  } else {
    switch (kind) {
      case ValueKind::kObject: typed.kind = Kind::kObject; break;
      case ValueKind::kArray: typed.kind = Kind::kArray; break;
      case ValueKind::kString: typed.kind = Kind::kString; break;
      case ValueKind::kNumber:
        typed.kind = Kind::kNumber;
        typed.integer = !(node.types & kNumberType);
        break;
      case ValueKind::kBoolean:
      case ValueKind::kNull:
        typed.kind = Kind::kLiteral;
        typed.literals = kind == ValueKind::kBoolean ? &kBooleans : &kNull;
        typed.mask = AllOf(typed.literals->size());
        break;
    }
  }
  frame = typed;
  return true;
}

bool JsonRecognizer::Fits(int node, int at) const {
  return schema_->MinNesting(node) <= kMaxNesting - at;
}

uint64_t JsonRecognizer::NextProperties(const Frame& object) const {
  const SchemaNode& node = schema_->node(object.node);
  const int properties = static_cast<int>(node.property_keys.size());
  // Up to the first required one, so that none is skipped; its value fits,
  // since the object started only where its required values do.
  const int last = std::min(NextRequired(node, object.count), properties - 1);
  uint64_t next = 0;
  for (int i = object.count; i <= last; ++i) {
    if (Fits(node.property_nodes[i], depth_)) next |= uint64_t{1} << i;
  }
  return next;
}

bool JsonRecognizer::OtherKeyMayCome(const Frame& object) const {
  const SchemaNode& node = schema_->node(object.node);
  const int properties = static_cast<int>(node.property_keys.size());
  return node.additional >= 0 && NextRequired(node, object.count) == properties &&
         Fits(node.additional, depth_);
}

bool JsonRecognizer::KeyMayStart(const Frame& object) const {
  return OtherKeyMayCome(object) || NextProperties(object) != 0;
}

bool JsonRecognizer::ObjectMayClose(const Frame& object) const {
  const SchemaNode& node = schema_->node(object.node);
  return NextRequired(node, object.count) == static_cast<int>(node.property_keys.size());
}

bool JsonRecognizer::StartKey(Frame& object) {
  const SchemaNode& node = schema_->node(object.node);
  object.phase = kInKey;
  if (OtherKeyMayCome(object)) {
    // Any string; if it spells a property, that property (kString tracks all
    // of them, and refuses one that came already or whose value cannot fit).
    return Push(Frame{.kind = Kind::kString,
                      .literals = &node.property_keys,
                      .mask = AllOf(node.property_keys.size())});
  }
  const uint64_t next = NextProperties(object);
  return next != 0 &&
         Push(Frame{.kind = Kind::kLiteral, .literals = &node.property_keys, .mask = next});
}

bool JsonRecognizer::StepObject(Frame& frame, uint8_t byte) {
  switch (frame.phase) {
    case kObjectOpen:
      if (byte != '{') return false;
      frame.phase = kFirstKey;
      return true;
    case kFirstKey:
    case kNextKey:
      if (IsWhitespace(byte)) return Whitespace();
      if (byte == '}' && frame.phase == kFirstKey && ObjectMayClose(frame)) {
        Pop();
        return true;
      }
      return byte == '"' && StartKey(frame) && Step(byte);  // the key's frame takes the quote
    case kColon:
      if (IsWhitespace(byte)) return Whitespace();
      if (byte != ':') return false;
      frame.phase = kInValue;
      return Push(Frame{.kind = Kind::kValue, .node = frame.value_node});
    case kAfterValue:
      if (IsWhitespace(byte)) return Whitespace();
      if (byte == ',' && KeyMayStart(frame)) {
        frame.phase = kNextKey;
        return true;
      }
      if (byte == '}' && ObjectMayClose(frame)) {
        Pop();
        return true;
      }
      return false;
  }
  return false;
}

bool JsonRecognizer::StepArray(Frame& frame, uint8_t byte) {
  const SchemaNode& node = schema_->node(frame.node);
  switch (frame.phase) {
    case kArrayOpen:
      if (byte != '[') return false;
      frame.phase = kFirstItem;
      return true;
    case kFirstItem:
    case kNextItem:
      if (IsWhitespace(byte)) return Whitespace();
      if (byte == ']' && frame.phase == kFirstItem && frame.count >= node.min_items) {
        Pop();
        return true;
      }
      if (frame.count >= node.max_items) return false;
      ++frame.count;
      frame.phase = kInItem;
      // The item's frame takes this first byte.
      return Push(Frame{.kind = Kind::kValue, .node = node.items}) && Step(byte);
    case kAfterItem:
      if (IsWhitespace(byte)) return Whitespace();
      if (byte == ',' && frame.count < node.max_items) {
        frame.phase = kNextItem;
        return true;
      }
      if (byte == ']' && frame.count >= node.min_items) {
        Pop();
        return true;
      }
      return false;
  }
  return false;
}

bool JsonRecognizer::StepString(Frame& frame, uint8_t byte) {
  // An object key tracks which property names it still spells.
  if (frame.literals) {
    frame.mask = MatchByte(*frame.literals, frame.mask, frame.pos, byte);
    ++frame.pos;
  }
  if (frame.phase == kStringOpen) {
    if (byte != '"') return false;
    frame.phase = kStringBody;
    return true;
  }
  if (frame.escape != kNoEscape) return StepEscape(frame, byte);
  if (frame.utf8_left > 0) {
    if (byte < frame.utf8_low || byte > frame.utf8_high) return false;
    --frame.utf8_left;
    frame.utf8_low = 0x80;
    frame.utf8_high = 0xbf;
    return true;
  }
  const int min_length = frame.node >= 0 ? schema_->node(frame.node).min_length : 0;
  const int max_length = frame.node >= 0 ? schema_->node(frame.node).max_length : INT32_MAX;
  if (byte == '"') {
    if (frame.count < min_length) return false;
    if (frame.literals) {
      // A key: a property not yet written whose value fits where the key
      // is now, or another one if it spells none.
      const SchemaNode& object = schema_->node(frames_[depth_ - 2].node);
      frame.chosen = CompleteLiteral(*frame.literals, frame.mask, frame.pos);
      if (frame.chosen >= 0 && (frame.chosen < frames_[depth_ - 2].count ||
                                !Fits(object.property_nodes[frame.chosen], depth_ - 1))) {
        return false;
      }
      if (frame.chosen < 0 && object.additional < 0) return false;
    }
    Pop();
    return true;
  }
  if (byte < 0x20) return false;  // control characters must be escaped
  // A new character: a lead byte says how many continuation bytes follow
  // and the range of the first.
  int left = 0;
  uint8_t low = 0x80, high = 0xbf;
  if (byte >= 0x80 && !tokenizer::ReadLeadByte(byte, left, low, high)) return false;
  if (frame.count >= max_length) return false;
  ++frame.count;
  frame.utf8_left = left;
  frame.utf8_low = low;
  frame.utf8_high = high;
  if (byte == '\\') frame.escape = kBackslash;
  return true;
}

bool JsonRecognizer::StepEscape(Frame& frame, uint8_t byte) {
  switch (frame.escape) {
    case kBackslash:
      if (byte == 'u') {
        frame.escape = kHex0;
        frame.low_surrogate_due = false;
        return true;
      }
      if (byte != '"' && byte != '\\' && byte != '/' && byte != 'b' && byte != 'f' &&
          byte != 'n' && byte != 'r' && byte != 't') {
        return false;
      }
      frame.escape = kNoEscape;
      return true;
    case kHex0:
      if (!IsHex(byte)) return false;
      frame.maybe_surrogate = HexValue(byte) == 0xd;
      frame.high_surrogate = false;
      if (frame.low_surrogate_due && !frame.maybe_surrogate) return false;
      frame.escape = kHex1;
      return true;
    case kHex1: {
      if (!IsHex(byte)) return false;
      const int value = HexValue(byte);
      if (frame.low_surrogate_due) {
        if (value < 0xc) return false;  // DC00-DFFF
      } else if (frame.maybe_surrogate) {
        if (value >= 0xc) return false;  // a low surrogate without its high one
        frame.high_surrogate = value >= 0x8;
      }
      frame.escape = kHex2;
      return true;
    }
    case kHex2:
      if (!IsHex(byte)) return false;
      frame.escape = kHex3;
      return true;
    case kHex3:
      if (!IsHex(byte)) return false;
      frame.escape = frame.high_surrogate && !frame.low_surrogate_due ? kLowBackslash : kNoEscape;
      frame.low_surrogate_due = false;
      return true;
    case kLowBackslash:
      if (byte != '\\') return false;
      frame.escape = kLowU;
      return true;
    case kLowU:
      if (byte != 'u') return false;
      frame.escape = kHex0;
      frame.low_surrogate_due = true;
      return true;
  }
  return false;
}

bool JsonRecognizer::StepNumber(Frame& frame, uint8_t byte, bool& done) {
  // frame.count: digits so far in the current part (integer, fraction,
  // exponent), at most 19, 17 and 3: enough for any int64 or double.
  const bool exponent_part = frame.phase == kExponent || frame.phase == kExponentSign ||
                             frame.phase == kExponentDigits;
  const bool fraction_part = frame.phase == kDot || frame.phase == kFraction;
  const int max_digits = exponent_part ? 3 : fraction_part ? 17 : 19;
  const bool digit = IsDigit(byte) && frame.count < max_digits;
  const bool fraction = !frame.integer && byte == '.';
  const bool exponent = !frame.integer && (byte == 'e' || byte == 'E');
  uint8_t next;
  switch (frame.phase) {
    case kSign:
      if (byte == '-') next = kMinus;
      else if (byte == '0') next = kZero;
      else if (digit) next = kInteger;
      else return false;
      break;
    case kMinus:
      if (!digit) return false;
      next = byte == '0' ? kZero : kInteger;
      break;
    case kZero:
    case kInteger:
      if (digit && frame.phase == kInteger) next = kInteger;
      else if (digit) return false;  // no leading zeros
      else if (fraction) next = kDot;
      else if (exponent) next = kExponent;
      else return done = true;
      break;
    case kDot:
      if (!digit) return false;
      next = kFraction;
      break;
    case kFraction:
      if (digit) next = kFraction;
      else if (exponent) next = kExponent;
      else return done = true;
      break;
    case kExponent:
      if (byte == '+' || byte == '-') next = kExponentSign;
      else if (digit) next = kExponentDigits;
      else return false;
      break;
    case kExponentSign:
      if (!digit) return false;
      next = kExponentDigits;
      break;
    case kExponentDigits:
      if (!digit) return done = true;
      next = kExponentDigits;
      break;
    default:
      return false;
  }
  frame.count = IsDigit(byte) ? frame.count + 1 : 0;  // a sign, '.' or 'e' starts a part
  frame.phase = next;
  return true;
}

bool JsonRecognizer::StepLiteral(Frame& frame, uint8_t byte, bool& done) {
  const uint64_t matching = MatchByte(*frame.literals, frame.mask, frame.pos, byte);
  if (matching == 0) {
    // A whole literal (a number, which nothing delimits) ended before it.
    return done = CompleteLiteral(*frame.literals, frame.mask, frame.pos) >= 0;
  }
  frame.mask = matching;
  ++frame.pos;
  // Closed at once when no longer literal is still possible, so that a key
  // reports its property before the ':' arrives.
  const int complete = CompleteLiteral(*frame.literals, frame.mask, frame.pos);
  if (complete >= 0 && std::popcount(frame.mask) == 1) {
    frame.chosen = complete;
    Pop();
  }
  return true;
}

bool JsonRecognizer::Whitespace() {
  if (whitespace_run_ >= kMaxWhitespaceRun) return false;
  ++whitespace_run_;
  whitespace_step_ = true;
  return true;
}

bool JsonRecognizer::Push(const Frame& frame) {
  if (depth_ >= static_cast<int>(frames_.size())) return false;
  frames_[depth_++] = frame;
  return true;
}

void JsonRecognizer::Pop() {
  const Frame child = frames_[--depth_];
  if (depth_ == 0) return;
  Frame& parent = frames_[depth_ - 1];
  if (parent.kind == Kind::kObject && parent.phase == kInKey) {
    const SchemaNode& node = schema_->node(parent.node);
    if (child.chosen >= 0) {
      parent.count = child.chosen + 1;
      parent.value_node = node.property_nodes[child.chosen];
    } else {
      parent.count = static_cast<int>(node.property_keys.size());  // others come last
      parent.value_node = node.additional;
    }
    parent.phase = kColon;
  } else if (parent.kind == Kind::kObject) {
    parent.phase = kAfterValue;
  } else if (parent.kind == Kind::kArray) {
    parent.phase = kAfterItem;
  }
}

}  // namespace bitbrain::generate
