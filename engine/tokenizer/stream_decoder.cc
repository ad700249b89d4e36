#include "engine/tokenizer/stream_decoder.h"

namespace bitbrain::tokenizer {

std::string StreamDecoder::Push(int32_t id) {
  std::string text;
  utf8_.Decode(tokenizer_.TokenBytes(id), text);
  return text;
}

std::string StreamDecoder::Finish() {
  std::string text;
  utf8_.Finish(text);
  return text;
}

}  // namespace bitbrain::tokenizer
