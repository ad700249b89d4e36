// A chat completion request (serving.md section 2), validated: every field
// the server honours is type- and range-checked, the rest are ignored, and
// what it cannot do (n > 1, image parts, a JSON Schema keyword it does not
// enforce) is a 400 naming the field.
#ifndef BITBRAIN_SERVE_CHAT_REQUEST_H_
#define BITBRAIN_SERVE_CHAT_REQUEST_H_

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/chat/chat_format.h"
#include "engine/generate/json_schema.h"
#include "engine/generate/sampler.h"

namespace bitbrain::serve {

struct ChatRequest {
  std::string model;
  std::vector<chat::Message> messages;
  int max_tokens = -1;  // < 0: until the context is full
  generate::SamplingParams sampling;
  std::vector<std::string> stop;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;
  int top_logprobs = 0;
  // response_format json_object / json_schema: what the reply must be
  // (null: any text).
  std::shared_ptr<const generate::JsonSchema> json_schema;
};

// Parses the request body (JSON text). Throws ApiError (400, naming the
// field). Token ids in logit_bias are checked against `vocab_size`. Without
// a seed, one is drawn at random.
ChatRequest ParseChatRequest(const std::string& body, int vocab_size);

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_CHAT_REQUEST_H_
