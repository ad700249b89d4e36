#include "engine/chat/chat_format.h"

#include "engine/tokenizer/utf8.h"

namespace bitbrain::chat {
namespace {

// Python's str.isspace(): bidirectional class WS, B or S, or category Zs.
bool IsPythonSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

// The code point of the well-formed UTF-8 sequence text[begin, end).
char32_t CodePoint(std::string_view text, size_t begin, size_t end) {
  const auto lead = static_cast<uint8_t>(text[begin]);
  if (end - begin == 1) return lead;
  char32_t c = lead & (0x7F >> (end - begin));
  for (size_t i = begin + 1; i < end; ++i) c = (c << 6) | (static_cast<uint8_t>(text[i]) & 0x3F);
  return c;
}

bool IsContinuation(char byte) { return (static_cast<uint8_t>(byte) & 0xC0) == 0x80; }

void Append(std::vector<int32_t>& ids, const std::vector<int32_t>& more) {
  ids.insert(ids.end(), more.begin(), more.end());
}

}  // namespace

Role ParseRole(std::string_view name) {
  if (name == "system" || name == "developer") return Role::kSystem;
  if (name == "user") return Role::kUser;
  if (name == "assistant") return Role::kAssistant;
  throw ChatError("unknown chat role \"" + std::string(name) +
                  "\" (expected system, developer, user or assistant)");
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSystem: return "System";
    case Role::kUser: return "User";
    case Role::kAssistant: return "Assistant";
  }
  throw ChatError("invalid chat role");
}

std::string_view StripWhitespace(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    size_t next = begin + 1;
    while (next < text.size() && IsContinuation(text[next])) ++next;
    if (!IsPythonSpace(CodePoint(text, begin, next))) break;
    begin = next;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && IsContinuation(text[start])) --start;
    if (!IsPythonSpace(CodePoint(text, start, end))) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

std::vector<int32_t> EncodeChat(const tokenizer::Tokenizer& tokenizer,
                                std::span<const Message> messages, bool add_generation_prompt) {
  if (!tokenizer.special().eot) {
    throw ChatError("the vocabulary has no end-of-turn token (<|eot_id|>) for the chat format");
  }
  std::vector<int32_t> ids = {tokenizer.special().bos};
  for (const Message& message : messages) {
    Append(ids, tokenizer.Encode(std::string(RoleName(message.role)) + ": "));
    // Strip the text the content stands for, as Python strips a str.
    const std::string content = tokenizer::SanitizeUtf8(message.content);
    Append(ids, tokenizer.Encode(StripWhitespace(content)));
    ids.push_back(*tokenizer.special().eot);
  }
  if (add_generation_prompt) {
    Append(ids, tokenizer.Encode(std::string(RoleName(Role::kAssistant)) + ": "));
  }
  return ids;
}

std::vector<int32_t> StopTokens(const tokenizer::Tokenizer& tokenizer) {
  std::vector<int32_t> stop = {tokenizer.special().eos};
  if (tokenizer.special().eot && *tokenizer.special().eot != tokenizer.special().eos) {
    stop.push_back(*tokenizer.special().eot);
  }
  return stop;
}

}  // namespace bitbrain::chat
