// POST /v1/classify, the endpoint behind client.py's classify(): the answer
// is always one of the labels. The chat prompt (system: the instruction,
// user: the text, then the assistant's turn) is prefilled once; each label is
// scored as its continuation, log P(label tokens, <|eot_id|> | prompt),
// reusing the prompt's KV; the best label wins.
//
//   request:  {"text": str, "labels": [str, ...] (2..64 distinct, non-empty),
//              "instruction": str (optional)}
//   response: {"object": "classification", "label": str,
//              "labels": [{"label": str, "logprob": float}, ...], "usage": {...}}
#ifndef BITBRAIN_SERVE_CLASSIFY_H_
#define BITBRAIN_SERVE_CLASSIFY_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/tokenizer/tokenizer.h"
#include "serve/job.h"

namespace bitbrain::serve {

struct ClassifyRequest {
  std::string text;
  std::vector<std::string> labels;
  std::string instruction;  // the default names the labels
};

// Throws ApiError (400 naming the field).
ClassifyRequest ParseClassifyRequest(const nlohmann::json& body);

// The prompt and one continuation per label.
JobInput ClassifyJob(const ClassifyRequest& request, const tokenizer::Tokenizer& tokenizer);

// The response, from the labels' log-probabilities (in request order).
nlohmann::json ClassifyJson(const ClassifyRequest& request, const JobProgress& result);

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_CLASSIFY_H_
