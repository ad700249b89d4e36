#include "engine/tokenizer/byte_level.h"

#include <array>
#include <cstdint>

namespace bitbrain::tokenizer {
namespace {

// The alphabet's code points are all below this.
constexpr uint32_t kAlphabetEnd = 256 + 68;

struct Alphabet {
  std::array<uint16_t, 256> code_point_of_byte{};
  std::array<int16_t, kAlphabetEnd> byte_of_code_point{};  // -1: not in the alphabet
};

// bytes_to_unicode() of GPT-2's encoder.py.
constexpr Alphabet MakeAlphabet() {
  Alphabet a;
  for (auto& b : a.byte_of_code_point) b = -1;
  uint16_t next_shifted = 256;
  for (int byte = 0; byte < 256; ++byte) {
    const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) ||
                           (byte >= 0xAE && byte <= 0xFF);
    const uint16_t cp = printable ? static_cast<uint16_t>(byte) : next_shifted++;
    a.code_point_of_byte[byte] = cp;
    a.byte_of_code_point[cp] = static_cast<int16_t>(byte);
  }
  return a;
}

constexpr Alphabet kAlphabet = MakeAlphabet();

}  // namespace

std::string ByteLevelEncode(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const uint16_t cp = kAlphabet.code_point_of_byte[static_cast<uint8_t>(c)];
    if (cp < 0x80) {
      text.push_back(static_cast<char>(cp));
    } else {  // all alphabet code points above ASCII take two UTF-8 bytes
      text.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      text.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return text;
}

std::optional<std::string> ByteLevelDecode(std::string_view text) {
  std::string bytes;
  bytes.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const uint8_t lead = static_cast<uint8_t>(text[i]);
    uint32_t cp;
    if (lead < 0x80) {
      cp = lead;
      i += 1;
    } else if ((lead & 0xE0) == 0xC0 && i + 1 < text.size() &&
               (static_cast<uint8_t>(text[i + 1]) & 0xC0) == 0x80) {
      cp = ((lead & 0x1Fu) << 6) | (static_cast<uint8_t>(text[i + 1]) & 0x3Fu);
      if (cp < 0x80) return std::nullopt;  // overlong
      i += 2;
    } else {
      return std::nullopt;  // longer sequences encode code points outside the alphabet
    }
    if (cp >= kAlphabetEnd || kAlphabet.byte_of_code_point[cp] < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(kAlphabet.byte_of_code_point[cp]));
  }
  return bytes;
}

}  // namespace bitbrain::tokenizer
