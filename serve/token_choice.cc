#include "serve/token_choice.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace bitbrain::serve {
namespace {

// log(sum(exp(logits))), shifted by the maximum so that it cannot overflow.
double LogSumExp(std::span<const float> logits) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (const float logit : logits) sum += std::exp(static_cast<double>(logit) - max);
  return max + std::log(sum);
}

// Records the chosen token in the constraint (if any) and the sampler.
void Accept(int32_t token, generate::Sampler& sampler, generate::JsonConstraint* constraint) {
  if (constraint) constraint->Accept(token);
  sampler.Accept(token);
}

// `allowed`: how many tokens the constraint lets the sampler choose from.
void RequireContinuation(int allowed) {
  if (allowed == 0) {
    throw std::runtime_error(
        "no token can continue the JSON document, which the schema check should rule out");
  }
}

}  // namespace

double LogProbability(std::span<const float> logits, int32_t token) {
  return logits[token] - LogSumExp(logits);
}

TokenChoice ChooseToken(generate::Sampler& sampler, const runtime::CandidateLogits& candidates,
                        generate::JsonConstraint* constraint) {
  TokenChoice choice;
  if (constraint) {
    // The answer holds allowed rows only, and one at least if any is allowed.
    RequireContinuation(static_cast<int>(candidates.ids.size()));
    choice.token = sampler.Sample(candidates, constraint->Allowed());
  } else {
    choice.token = sampler.Sample(candidates);
  }
  Accept(choice.token, sampler, constraint);
  return choice;
}

TokenChoice ChooseToken(generate::Sampler& sampler, std::span<const float> logits,
                        bool want_logprob, int top_logprobs,
                        generate::JsonConstraint* constraint) {
  TokenChoice choice;
  if (constraint) {
    std::vector<float> masked(logits.begin(), logits.end());
    RequireContinuation(constraint->Mask(masked));
    choice.token = sampler.Sample(masked);
  } else {
    choice.token = sampler.Sample(logits);
  }
  Accept(choice.token, sampler, constraint);
  if (!want_logprob) return choice;

  const double log_sum = LogSumExp(logits);
  choice.logprob.token = choice.token;
  choice.logprob.logprob = logits[choice.token] - log_sum;
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  const size_t top = std::min<size_t>(top_logprobs, ids.size());
  // Most likely first; the lower id first on ties, so the order is fixed.
  std::partial_sort(ids.begin(), ids.begin() + top, ids.end(), [&](int32_t a, int32_t b) {
    return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
  });
  for (size_t i = 0; i < top; ++i) choice.logprob.top.emplace_back(ids[i], logits[ids[i]] - log_sum);
  return choice;
}

}  // namespace bitbrain::serve
