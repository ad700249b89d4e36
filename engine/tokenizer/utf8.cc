#include "engine/tokenizer/utf8.h"

namespace bitbrain::tokenizer {

bool ReadLeadByte(uint8_t lead, int& bytes_needed, uint8_t& lower, uint8_t& upper) {
  lower = 0x80;
  upper = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    bytes_needed = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    bytes_needed = 2;
    if (lead == 0xE0) lower = 0xA0;
    if (lead == 0xED) upper = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    bytes_needed = 3;
    if (lead == 0xF0) lower = 0x90;
    if (lead == 0xF4) upper = 0x8F;
  } else {
    return false;
  }
  return true;
}

namespace {

// The length of the well-formed sequence at bytes[i], or 0 if there is none.
size_t SequenceLength(std::string_view bytes, size_t i) {
  const uint8_t lead = static_cast<uint8_t>(bytes[i]);
  if (lead < 0x80) return 1;
  int bytes_needed;
  uint8_t lower, upper;
  if (!ReadLeadByte(lead, bytes_needed, lower, upper)) return 0;
  if (bytes.size() - i - 1 < static_cast<size_t>(bytes_needed)) return 0;
  for (int k = 1; k <= bytes_needed; ++k) {
    const uint8_t byte = static_cast<uint8_t>(bytes[i + k]);
    if (byte < lower || byte > upper) return 0;
    lower = 0x80;
    upper = 0xBF;
  }
  return 1 + bytes_needed;
}

}  // namespace

void Utf8Decoder::Reset() {
  pending_size_ = 0;
  bytes_needed_ = 0;
  lower_ = 0x80;
  upper_ = 0xBF;
}

void Utf8Decoder::Decode(std::string_view bytes, std::string& out) {
  size_t i = 0;
  while (i < bytes.size()) {
    const uint8_t byte = static_cast<uint8_t>(bytes[i]);
    if (bytes_needed_ == 0) {
      ++i;
      if (byte < 0x80) {
        out.push_back(static_cast<char>(byte));
      } else if (ReadLeadByte(byte, bytes_needed_, lower_, upper_)) {
        pending_[0] = static_cast<char>(byte);
        pending_size_ = 1;
      } else {
        out.append(kReplacementCharacter);
      }
      continue;
    }
    if (byte < lower_ || byte > upper_) {
      // The bytes held so far are a maximal ill-formed subsequence; this
      // byte is read again as the start of something new.
      Reset();
      out.append(kReplacementCharacter);
      continue;
    }
    ++i;
    lower_ = 0x80;
    upper_ = 0xBF;
    pending_[pending_size_++] = static_cast<char>(byte);
    if (--bytes_needed_ == 0) {
      out.append(pending_, pending_size_);
      pending_size_ = 0;
    }
  }
}

void Utf8Decoder::Finish(std::string& out) {
  if (pending_size_ != 0) out.append(kReplacementCharacter);
  Reset();
}

bool IsValidUtf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const size_t length = SequenceLength(bytes, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string EscapeForDisplay(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t i = 0;
  while (i < bytes.size()) {
    const uint8_t byte = static_cast<uint8_t>(bytes[i]);
    const size_t length = SequenceLength(bytes, i);
    if (length > 1 || (length == 1 && byte >= 0x20 && byte != 0x7F && byte != '\\')) {
      out.append(bytes.substr(i, length));
      i += length;
      continue;
    }
    switch (byte) {
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\\': out += "\\\\"; break;
      default: out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 15]};
    }
    ++i;
  }
  return out;
}

std::string SanitizeUtf8(std::string_view bytes) {
  if (IsValidUtf8(bytes)) return std::string(bytes);
  std::string out;
  out.reserve(bytes.size() + 16);
  Utf8Decoder decoder;
  decoder.Decode(bytes, out);
  decoder.Finish(out);
  return out;
}

}  // namespace bitbrain::tokenizer
