// What a sampler needs of one position's logits when it does not need all of
// them, and the exact logits the engine returns for it (engine.h,
// SequenceBatch::query). The screened LM head (screened_head.h) computes
// only these rows exactly; conformance/NUMERICS.md section 2.8 states when a
// sampler may ask for them instead of the full row.
#ifndef BITBRAIN_ENGINE_RUNTIME_CANDIDATES_H_
#define BITBRAIN_ENGINE_RUNTIME_CANDIDATES_H_

#include <cstdint>
#include <vector>

namespace bitbrain::runtime {

// The rows a sampler needs: every row of `forced` (the tokens whose logits
// it changes: logit bias, penalties), and every other row v whose exact
// logit is >= (the k-th best exact logit among the rows not forced) +
// log_ratio. Greedy: k = 1; top-k: k = top_k; min-p alone: k = 1, log_ratio
// = ln(min_p).
struct CandidateQuery {
  int k = 1;              // >= 1
  double log_ratio = 0;   // <= 0
  std::vector<int32_t> forced = {};  // ids in [0, vocab), any order, repeats allowed
};

// Exact logits, bit for bit those of the full head, of a set of rows that
// holds at least every row the query needs (possibly more: all of them when
// the screened head is off), ids ascending.
struct CandidateLogits {
  int vocab_size = 0;
  std::vector<int32_t> ids = {};
  std::vector<float> logits = {};  // logits[i] is row ids[i]'s
};

}  // namespace bitbrain::runtime

#endif  // BITBRAIN_ENGINE_RUNTIME_CANDIDATES_H_
