#include "engine/generate/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace bitbrain::generate {

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) {
  if (params.penalty_last_n < 0) throw std::invalid_argument("penalty window must be >= 0");
  if (!(params.repeat_penalty > 0)) throw std::invalid_argument("repeat penalty must be > 0");
  if (!(params.top_p >= 0 && params.top_p <= 1)) throw std::invalid_argument("top-p must be in [0, 1]");
  if (!(params.min_p >= 0 && params.min_p <= 1)) throw std::invalid_argument("min-p must be in [0, 1]");
}

bool Sampler::Penalizes() const {
  return params_.penalty_last_n > 0 &&
         (params_.repeat_penalty != 1 || params_.frequency_penalty != 0 ||
          params_.presence_penalty != 0);
}

void Sampler::Accept(int32_t token) {
  if (!Penalizes()) return;
  recent_.push_back(token);
  ++recent_counts_[token];
  if (static_cast<int>(recent_.size()) > params_.penalty_last_n) {
    const int32_t oldest = recent_.front();
    recent_.pop_front();
    if (--recent_counts_[oldest] == 0) recent_counts_.erase(oldest);
  }
}

Sampler::Candidate* Sampler::Find(int32_t id, std::span<const uint8_t> allowed, const char* why) {
  const auto it = std::lower_bound(candidates_.begin(), candidates_.end(), id,
                                   [](const Candidate& c, int32_t id) { return c.id < id; });
  if (it != candidates_.end() && it->id == id) return &*it;
  if (!runtime::Allows(allowed, id)) return nullptr;
  throw std::invalid_argument(std::string("the logit of token ") + std::to_string(id) +
                              ", which the " + why + " changes, is not among the candidates");
}

int32_t Sampler::Choose(int32_t vocab_size, std::span<const uint8_t> allowed) {
  if (candidates_.empty()) throw std::invalid_argument("no logits to sample from");
  for (Candidate& c : candidates_) {
    // A NaN would break the sort order; it can never be chosen.
    if (std::isnan(c.logit)) c.logit = -std::numeric_limits<float>::infinity();
  }
  for (const auto& [id, bias] : params_.logit_bias) {
    if (id < 0 || id >= vocab_size) {
      throw std::invalid_argument("logit bias for token " + std::to_string(id) +
                                  ", outside the vocabulary of " + std::to_string(vocab_size));
    }
    if (Candidate* c = Find(id, allowed, "logit bias")) c->logit += bias;
  }
  for (const auto& [id, count] : recent_counts_) {
    if (id < 0 || id >= vocab_size) continue;
    Candidate* c = Find(id, allowed, "penalty");
    if (!c) continue;
    float& logit = c->logit;
    logit = logit > 0 ? logit / params_.repeat_penalty : logit * params_.repeat_penalty;
    logit -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
  }
  if (params_.temperature <= 0) {
    const Candidate* best = &candidates_.front();
    for (const Candidate& c : candidates_) {
      if (c.logit > best->logit) best = &c;  // strict: the lowest id wins ties
    }
    return best->id;
  }
  TopK();
  TopP();
  MinP();
  return Draw();
}

void Sampler::SortCandidates(size_t count) {
  // A total order, so the result does not depend on the sort algorithm.
  const auto before = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  std::partial_sort(candidates_.begin(), candidates_.begin() + count, candidates_.end(), before);
  candidates_.resize(count);
}

void Sampler::TopK() {
  const size_t k = params_.top_k > 0 ? static_cast<size_t>(params_.top_k) : candidates_.size();
  SortCandidates(std::min(k, candidates_.size()));
}

void Sampler::TopP() {
  if (params_.top_p >= 1) return;
  // Probabilities at temperature 1, as llama.cpp's top-p sees them.
  const double max = candidates_.front().logit;
  double total = 0;
  for (const Candidate& c : candidates_) total += std::exp(c.logit - max);
  double cumulative = 0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    cumulative += std::exp(candidates_[i].logit - max);
    if (cumulative >= params_.top_p * total) {
      candidates_.resize(i + 1);
      return;
    }
  }
}

void Sampler::MinP() {
  if (params_.min_p <= 0) return;
  const double threshold = candidates_.front().logit + std::log(static_cast<double>(params_.min_p));
  size_t kept = 1;  // the best candidate always passes
  while (kept < candidates_.size() && candidates_[kept].logit >= threshold) ++kept;
  candidates_.resize(kept);
}

int32_t Sampler::Draw() {
  const double max = candidates_.front().logit;
  const double temperature = params_.temperature;
  std::vector<double> weights(candidates_.size());
  double total = 0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    weights[i] = std::exp((candidates_[i].logit - max) / temperature);
    total += weights[i];
  }
  const double target = rng_.NextDouble() * total;
  double cumulative = 0;
  for (size_t i = 0; i < candidates_.size(); ++i) {
    cumulative += weights[i];
    if (target < cumulative) return candidates_[i].id;
  }
  // Rounding left target at the very top: the last candidate with any
  // weight (never one a mask set to -inf).
  size_t last = candidates_.size() - 1;
  while (last > 0 && weights[last] == 0) --last;
  return candidates_[last].id;
}

int32_t Sampler::Sample(std::span<const float> logits) {
  const auto vocab = static_cast<int32_t>(logits.size());
  candidates_.resize(logits.size());
  for (int32_t id = 0; id < vocab; ++id) candidates_[id] = {id, logits[id]};
  return Choose(vocab, {});
}

std::optional<runtime::CandidateQuery> Sampler::Query() const {
  runtime::CandidateQuery query;
  if (params_.temperature <= 0) {
    query.k = 1;
  } else if (params_.top_k > 0) {
    query.k = params_.top_k;
  } else if (params_.top_p >= 1 && params_.min_p > 0) {
    query.k = 1;
    query.log_ratio = std::log(static_cast<double>(params_.min_p));
  } else {
    return std::nullopt;
  }
  for (const auto& [id, bias] : params_.logit_bias) query.forced.push_back(id);
  for (const auto& [id, count] : recent_counts_) query.forced.push_back(id);
  return query;
}

int32_t Sampler::Sample(const runtime::CandidateLogits& candidates,
                        std::span<const uint8_t> allowed) {
  if (candidates.ids.size() != candidates.logits.size()) {
    throw std::invalid_argument("candidate ids and logits differ in number");
  }
  candidates_.resize(candidates.ids.size());
  for (size_t i = 0; i < candidates.ids.size(); ++i) {
    candidates_[i] = {candidates.ids[i], candidates.logits[i]};
  }
  return Choose(candidates.vocab_size, allowed);
}

}  // namespace bitbrain::generate
