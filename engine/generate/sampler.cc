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

void Sampler::Accept(int32_t token) {
  if (params_.penalty_last_n == 0) return;
  recent_.push_back(token);
  ++recent_counts_[token];
  if (static_cast<int>(recent_.size()) > params_.penalty_last_n) {
    const int32_t oldest = recent_.front();
    recent_.pop_front();
    if (--recent_counts_[oldest] == 0) recent_counts_.erase(oldest);
  }
}

void Sampler::Prepare(std::span<const float> logits) {
  if (logits.empty()) throw std::invalid_argument("no logits to sample from");
  const auto vocab = static_cast<int32_t>(logits.size());
  candidates_.resize(logits.size());
  for (int32_t id = 0; id < vocab; ++id) {
    // A NaN would break the sort order; it can never be chosen.
    const float logit = logits[id];
    candidates_[id] = {id, std::isnan(logit) ? -std::numeric_limits<float>::infinity() : logit};
  }
  for (const auto& [id, bias] : params_.logit_bias) {
    if (id < 0 || id >= vocab) {
      throw std::invalid_argument("logit bias for token " + std::to_string(id) +
                                  ", outside the vocabulary of " + std::to_string(vocab));
    }
    candidates_[id].logit += bias;
  }
  for (const auto& [id, count] : recent_counts_) {
    if (id < 0 || id >= vocab) continue;
    float& logit = candidates_[id].logit;
    logit = logit > 0 ? logit / params_.repeat_penalty : logit * params_.repeat_penalty;
    logit -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
  }
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
  return candidates_.back().id;  // rounding left target at the very top
}

int32_t Sampler::Sample(std::span<const float> logits) {
  Prepare(logits);
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

}  // namespace bitbrain::generate
