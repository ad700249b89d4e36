// The BitNet b1.58 2B4T chat format (bitnet-model.md section 6, from
// microsoft/BitNet gpu/tokenizer.py):
//
//   [BOS] + for each message: Encode(Role + ": ") + Encode(strip(content)) + [EOT]
//         + Encode("Assistant: ")                       (the generation prompt)
//
// i.e. "<|begin_of_text|>User: Hi<|eot_id|>Assistant: " with header and content
// tokenized separately. The chat template stored in the official file is
// known to be wrong and is not used.
#ifndef BITBRAIN_ENGINE_CHAT_CHAT_FORMAT_H_
#define BITBRAIN_ENGINE_CHAT_CHAT_FORMAT_H_

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer/tokenizer.h"

namespace bitbrain::chat {

class ChatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Role { kSystem, kUser, kAssistant };

// "system" (and OpenAI's "developer"), "user", "assistant"; throws ChatError
// for any other name.
Role ParseRole(std::string_view name);
// The role as the format writes it: "System", "User", "Assistant".
std::string_view RoleName(Role role);

struct Message {
  Role role;
  std::string content;
};

// The token ids of a conversation. With `add_generation_prompt`, ends with
// the tokens of "Assistant: " for the model to continue. Throws ChatError if
// the vocabulary has no end-of-turn token.
std::vector<int32_t> EncodeChat(const tokenizer::Tokenizer& tokenizer,
                                std::span<const Message> messages,
                                bool add_generation_prompt = true);

// The tokens that end a reply: end of text and end of turn (128001, 128009).
std::vector<int32_t> StopTokens(const tokenizer::Tokenizer& tokenizer);

// `text` (well-formed UTF-8) without leading and trailing whitespace, as
// Python's str.strip() does it (the characters str.isspace() accepts).
std::string_view StripWhitespace(std::string_view text);

}  // namespace bitbrain::chat

#endif  // BITBRAIN_ENGINE_CHAT_CHAT_FORMAT_H_
