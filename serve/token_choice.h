// The one place where a slot's sampling state and a step's logits become the
// next token (and, when asked, its log-probability and the most likely
// alternatives), from a full row of logits or from the screened head's
// candidate rows (engine/runtime/candidates.h), which give the same token.
#ifndef BITBRAIN_SERVE_TOKEN_CHOICE_H_
#define BITBRAIN_SERVE_TOKEN_CHOICE_H_

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "engine/generate/json_constraint.h"
#include "engine/generate/sampler.h"
#include "engine/runtime/candidates.h"

namespace bitbrain::serve {

// A token with its log-probability under the model (the raw logits'
// log-softmax, before sampling parameters) and the `top` most likely tokens.
struct TokenLogprob {
  int32_t token = 0;
  double logprob = 0;
  std::vector<std::pair<int32_t, double>> top;  // most likely first
};

struct TokenChoice {
  int32_t token = 0;
  TokenLogprob logprob;  // filled only when asked for
};

// Samples the next token from `logits`, records it in the sampler (for the
// penalties), and with `want_logprob` computes its log-probability and
// `top_logprobs` alternatives. With a `constraint`, samples among the tokens
// it allows (the log-probabilities stay the model's, unmasked) and records
// the token in it too; throws std::runtime_error if it allows none (a bug:
// json_recognizer.h says why it cannot happen).
TokenChoice ChooseToken(generate::Sampler& sampler, std::span<const float> logits,
                        bool want_logprob, int top_logprobs,
                        generate::JsonConstraint* constraint = nullptr);

// The same choice from the exact logits of the rows the sampler's Query()
// asked for (no log-probabilities: they need the full row). With a
// `constraint`, the query's allowed set was constraint->Allowed().
TokenChoice ChooseToken(generate::Sampler& sampler, const runtime::CandidateLogits& candidates,
                        generate::JsonConstraint* constraint = nullptr);

// log softmax(logits)[token], in double.
double LogProbability(std::span<const float> logits, int32_t token);

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_TOKEN_CHOICE_H_
