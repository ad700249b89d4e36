// GPT-2's byte-level alphabet: every byte is written as one printable
// Unicode character (bytes that are already printable stand for themselves,
// the others are shifted to U+0100...U+0143, so space becomes 'Ġ'). Vocabulary
// and merge strings of byte-level BPE files are stored in this alphabet.
#ifndef BITBRAIN_ENGINE_TOKENIZER_BYTE_LEVEL_H_
#define BITBRAIN_ENGINE_TOKENIZER_BYTE_LEVEL_H_

#include <optional>
#include <string>
#include <string_view>

namespace bitbrain::tokenizer {

// Bytes -> their byte-level text (UTF-8).
std::string ByteLevelEncode(std::string_view bytes);

// Byte-level text -> the bytes it stands for; nullopt if `text` is not valid
// UTF-8 or has a character outside the 256-character alphabet.
std::optional<std::string> ByteLevelDecode(std::string_view text);

}  // namespace bitbrain::tokenizer

#endif  // BITBRAIN_ENGINE_TOKENIZER_BYTE_LEVEL_H_
