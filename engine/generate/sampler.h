// Choosing the next token from a row of logits (serving.md section 4), in
// llama.cpp's order: logit bias -> penalties -> top-k -> top-p -> min-p ->
// temperature -> draw. Temperature <= 0 is greedy: the highest logit after
// bias and penalties, the lowest id on ties. A JSON constraint
// (json_constraint.h) comes before all of them: it sets the logits of the
// tokens it refuses to -inf, which bias and penalties keep at -inf.
//
// Seeded determinism: each Sampler owns one std::mt19937_64 seeded from
// `seed`, turns its outputs into doubles itself (never a
// std::*_distribution, whose algorithms differ between standard libraries)
// and scans candidates in one fixed order (logit descending, then id
// ascending). The probabilities are computed in double with std::exp; this
// is not part of the bit-exact forward pass (NUMERICS.md), so the same seed
// gives the same tokens on any machine whose libm exp agrees (glibc's is
// correctly rounded in double).
//
// The sampler takes either a full row of logits or the exact logits of the
// rows its chain can reach (runtime::CandidateLogits, from the screened head)
// and picks the same token from both: Query() says which rows those are, or
// that it needs the full row (conformance/NUMERICS.md section 2.8). A JSON
// constraint's mask then becomes the query's allowed set: the engine leaves
// out the rows it refuses, which the masked full row holds at -inf.
#ifndef BITBRAIN_ENGINE_GENERATE_SAMPLER_H_
#define BITBRAIN_ENGINE_GENERATE_SAMPLER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <random>
#include <span>
#include <optional>
#include <vector>

#include "engine/runtime/candidates.h"

namespace bitbrain::generate {

struct SamplingParams {
  float temperature = 0.8f;  // <= 0: greedy
  int top_k = 40;            // <= 0: all tokens
  float top_p = 0.95f;       // >= 1: off
  float min_p = 0.05f;       // <= 0: off
  float repeat_penalty = 1.0f;  // 1: off
  int penalty_last_n = 64;      // the window of recent tokens penalties look at; 0: off
  float frequency_penalty = 0.0f;  // subtracted once per occurrence in the window
  float presence_penalty = 0.0f;   // subtracted once if present in the window
  std::map<int32_t, float> logit_bias;  // added to a token's logit
  uint64_t seed = 0;
};

// The request's random numbers: mt19937_64 outputs as doubles in [0, 1).
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  // The top 53 bits of the next output, scaled: exactly representable.
  double NextDouble() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 engine_;
};

class Sampler {
 public:
  // Throws std::invalid_argument for a parameter out of range (negative
  // penalty window, repeat penalty <= 0, top-p or min-p outside [0, 1]).
  explicit Sampler(const SamplingParams& params);

  // The next token. With temperature > 0, uses exactly one random number.
  // Throws std::invalid_argument for empty logits or a biased id out of range.
  int32_t Sample(std::span<const float> logits);

  // The rows the next Sample() can pick from, or nullopt if it needs the full
  // row: greedy (k = 1), top-k (k = top_k) and, without top-k or top-p,
  // min-p (the best row and those within ln(min_p) of it) need only those;
  // top-p or temperature alone need the whole distribution. The tokens whose
  // logits bias and penalties change are always forced in (with the
  // penalties off, the recent tokens are not: their logits stay as they are).
  std::optional<runtime::CandidateQuery> Query() const;

  // The same token as Sample() on the full row, from the candidates a
  // Query() made before this call was answered with, `allowed` being the
  // query's allowed set: the same as Sample() on the row a JSON constraint
  // masked with it. Throws std::invalid_argument if a biased or penalized
  // token is missing that `allowed` does not exclude (an excluded one is -inf
  // in the masked row, and stays -inf).
  int32_t Sample(const runtime::CandidateLogits& candidates,
                 std::span<const uint8_t> allowed = {});

  // Records a token of the text (prompt or generated) for the penalties.
  void Accept(int32_t token);

  const SamplingParams& params() const { return params_; }

 private:
  struct Candidate {
    int32_t id;
    float logit;
  };

  // Applies bias and penalties to candidates_ (ids ascending, rows of a
  // vocabulary of vocab_size, missing only rows `allowed` excludes), then
  // the chain.
  int32_t Choose(int32_t vocab_size, std::span<const uint8_t> allowed);
  // Whether the penalties change any logit (their neutral values leave every
  // logit's bits as they are).
  bool Penalizes() const;
  // The candidate of token `id`, or null if it is missing and `allowed`
  // excludes it; throws if it is missing otherwise.
  Candidate* Find(int32_t id, std::span<const uint8_t> allowed, const char* why);
  // Sorts candidates_ (or their first `count`) into the fixed scan order.
  void SortCandidates(size_t count);
  void TopK();
  void TopP();
  void MinP();
  int32_t Draw();

  SamplingParams params_;
  Rng rng_;
  std::deque<int32_t> recent_;        // the last penalty_last_n accepted tokens
  std::map<int32_t, int> recent_counts_;  // occurrences in recent_
  std::vector<Candidate> candidates_;
};

}  // namespace bitbrain::generate

#endif  // BITBRAIN_ENGINE_GENERATE_SAMPLER_H_
