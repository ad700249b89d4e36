// Token ids -> text as they are generated. A character whose bytes are split
// across tokens (emoji, CJK often are) is held back until it is complete, so
// every piece handed out is well-formed UTF-8. All pieces together equal
// Tokenizer::Decode of all the ids.
#ifndef BITBRAIN_ENGINE_TOKENIZER_STREAM_DECODER_H_
#define BITBRAIN_ENGINE_TOKENIZER_STREAM_DECODER_H_

#include <cstdint>
#include <string>

#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace bitbrain::tokenizer {

class StreamDecoder {
 public:
  // `tokenizer` must outlive the decoder.
  explicit StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

  // The text that `id` completes (often empty or one token's text).
  std::string Push(int32_t id);
  // Ends the stream: a character left incomplete becomes U+FFFD.
  std::string Finish();

 private:
  const Tokenizer& tokenizer_;
  Utf8Decoder utf8_;
};

}  // namespace bitbrain::tokenizer

#endif  // BITBRAIN_ENGINE_TOKENIZER_STREAM_DECODER_H_
