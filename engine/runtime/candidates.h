// What a sampler needs of one position's logits when it does not need all of
// them, and the exact logits the engine returns for it (engine.h,
// SequenceBatch::query). The screened LM head (screened_head.h) computes
// only these rows exactly; conformance/NUMERICS.md section 2.8 states when a
// sampler may ask for them instead of the full row.
#ifndef BITBRAIN_ENGINE_RUNTIME_CANDIDATES_H_
#define BITBRAIN_ENGINE_RUNTIME_CANDIDATES_H_

#include <cstdint>
#include <span>
#include <vector>

namespace bitbrain::runtime {

// Whether a query's `allowed` set holds `row`: nonzero allowed[row], or an
// empty set (every row).
inline bool Allows(std::span<const uint8_t> allowed, int32_t row) {
  return allowed.empty() || allowed[row] != 0;
}

// The rows a sampler needs: every row of `forced` (the tokens whose logits
// it changes: logit bias, penalties), and every other row v whose exact
// logit is >= (the k-th best exact logit among the rows not forced) +
// log_ratio. Greedy: k = 1; top-k: k = top_k; min-p alone: k = 1, log_ratio
// = ln(min_p).
//
// With an `allowed` set (a JSON constraint's mask: the tokens that may come
// next), the rows it excludes do not exist for the query: they are never
// needed, forced or not, and do not count toward the k-th best (with fewer
// than k allowed rows not forced, every allowed row is needed). The sampler
// sees them at -inf, which nothing in its chain can pick (NUMERICS.md 2.8).
struct CandidateQuery {
  int k = 1;              // >= 1
  double log_ratio = 0;   // <= 0
  std::vector<int32_t> forced = {};  // ids in [0, vocab), any order, repeats allowed
  // Empty: every row; else one byte per row of the vocabulary, nonzero for
  // an allowed row. Not owned: must outlive the Forward() that answers.
  std::span<const uint8_t> allowed = {};
};

// Exact logits, bit for bit those of the full head, of a set of rows that
// holds at least every row the query needs (possibly more: every allowed row
// when the screened head is off) and none its allowed set excludes, ids
// ascending.
struct CandidateLogits {
  int vocab_size = 0;
  std::vector<int32_t> ids = {};
  std::vector<float> logits = {};  // logits[i] is row ids[i]'s
};

}  // namespace bitbrain::runtime

#endif  // BITBRAIN_ENGINE_RUNTIME_CANDIDATES_H_
