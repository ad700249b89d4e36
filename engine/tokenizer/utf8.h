// UTF-8 validation with replacement, exactly as the WHATWG Encoding Standard's
// UTF-8 decoder does it (TextDecoder, Node's Buffer.toString): each maximal
// ill-formed subsequence becomes one U+FFFD. The conformance oracle
// (llama3-tokenizer-js) only sees text through that decoder, so the engine
// turns bytes into text the same way.
#ifndef BITBRAIN_ENGINE_TOKENIZER_UTF8_H_
#define BITBRAIN_ENGINE_TOKENIZER_UTF8_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace bitbrain::tokenizer {

// The UTF-8 encoding of U+FFFD REPLACEMENT CHARACTER.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// A streaming decoder: bytes may arrive in any pieces; a sequence split
// across pieces is held back until it completes or proves ill-formed.
class Utf8Decoder {
 public:
  // Appends to `out` the valid text of `bytes` that is complete so far.
  void Decode(std::string_view bytes, std::string& out);
  // Ends the stream: a held-back incomplete sequence becomes U+FFFD.
  void Finish(std::string& out);
  // Whether a sequence is held back.
  bool pending() const { return pending_size_ != 0; }

 private:
  void Reset();

  char pending_[4] = {};     // the bytes of the sequence being read
  int pending_size_ = 0;
  int bytes_needed_ = 0;     // continuation bytes still expected
  uint8_t lower_ = 0x80;     // allowed range of the next continuation byte
  uint8_t upper_ = 0xBF;
};

// What a lead byte >= 0x80 announces: how many continuation bytes follow and
// the range of the first one (the narrower ranges exclude overlong forms,
// surrogates and code points above U+10FFFF). False for bytes that cannot
// start a sequence.
bool ReadLeadByte(uint8_t lead, int& bytes_needed, uint8_t& lower, uint8_t& upper);

// Whether `bytes` is well-formed UTF-8.
bool IsValidUtf8(std::string_view bytes);

// `bytes` as well-formed UTF-8, ill-formed parts replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view bytes);

// `bytes` for display on one line: well-formed characters as they are;
// \n, \t, \r, \\ and \xNN for other control bytes and for bytes that are
// not part of a well-formed character (a token may hold part of one).
std::string EscapeForDisplay(std::string_view bytes);

}  // namespace bitbrain::tokenizer

#endif  // BITBRAIN_ENGINE_TOKENIZER_UTF8_H_
