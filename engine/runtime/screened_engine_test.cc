// Candidate queries through the engine on the small synthetic model (the
// LLaMA-3 vocabulary): the screened head's candidates hold every row a query
// needs, their logits are the full head's bit for bit, in batches that mix
// full rows and queries; with screening off a query gets every row; bad
// queries are refused.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "engine/runtime/engine.h"

namespace bitbrain::runtime {
namespace {

constexpr const char* kSmallModel = "engine/synthetic/small.gguf";

std::vector<int32_t> Tokens(int count, int vocab, uint32_t seed) {
  std::vector<int32_t> tokens(count);
  uint32_t state = seed;
  for (int32_t& token : tokens) {
    state = state * 1664525u + 1013904223u;
    token = static_cast<int32_t>((state >> 8) % static_cast<uint32_t>(std::min(vocab, 128000)));
  }
  return tokens;
}

// The rows `query` needs (candidates.h) from a full row of logits.
std::vector<int32_t> Needed(const std::vector<float>& logits, const CandidateQuery& query) {
  const auto forced = [&](int32_t v) {
    return std::find(query.forced.begin(), query.forced.end(), v) != query.forced.end();
  };
  std::vector<float> free;
  for (int32_t v = 0; v < static_cast<int32_t>(logits.size()); ++v) {
    if (!forced(v)) free.push_back(logits[v]);
  }
  std::nth_element(free.begin(), free.begin() + (query.k - 1), free.end(), std::greater<float>());
  const double threshold = free[query.k - 1] + query.log_ratio;
  std::vector<int32_t> ids;
  for (int32_t v = 0; v < static_cast<int32_t>(logits.size()); ++v) {
    if (forced(v) || logits[v] >= threshold) ids.push_back(v);
  }
  return ids;
}

// Every needed row is a candidate and every candidate's logit has the full
// head's bits.
void CheckCandidates(const CandidateLogits& candidates, const std::vector<float>& full,
                     const CandidateQuery& query) {
  REQUIRE(candidates.vocab_size == static_cast<int>(full.size()));
  REQUIRE(candidates.ids.size() == candidates.logits.size());
  REQUIRE(std::is_sorted(candidates.ids.begin(), candidates.ids.end()));
  for (size_t i = 0; i < candidates.ids.size(); ++i) {
    REQUIRE(std::memcmp(&candidates.logits[i], &full[candidates.ids[i]], sizeof(float)) == 0);
  }
  for (const int32_t id : Needed(full, query)) {
    INFO("row " << id << " is needed");
    REQUIRE(std::binary_search(candidates.ids.begin(), candidates.ids.end(), id));
  }
}

TEST_CASE("screened candidates: every needed row, the full head's bits, batched with full rows") {
  Engine full_engine(kSmallModel, {.threads = 2, .screened_head = false});
  Engine engine(kSmallModel, {.threads = 2});
  const int vocab = engine.config().vocab_size;
  const std::vector<CandidateQuery> queries = {
      {.k = 1},
      {.k = 40},
      {.k = 1, .log_ratio = std::log(0.05)},
      {.k = 3, .forced = {5, 900, 900, 128000}},
  };
  const std::vector<int32_t> prompt = Tokens(24, vocab, 3);
  Sequence reference = full_engine.NewSequence();
  // One sequence per query plus one asking for full logits, in one batch.
  std::vector<Sequence> sequences;
  for (size_t i = 0; i <= queries.size(); ++i) sequences.push_back(engine.NewSequence());
  std::vector<CandidateLogits> candidates(queries.size());
  std::vector<float> expected(vocab), logits(vocab);
  size_t most_candidates = 0;
  for (int position = 0; position < static_cast<int>(prompt.size()); position += 3) {
    const std::span<const int32_t> tokens(prompt.data() + position, 3);
    full_engine.Forward(reference, tokens, expected);
    std::vector<SequenceBatch> batch = {{&sequences[0], tokens, 1, logits}};
    for (size_t i = 0; i < queries.size(); ++i) {
      batch.push_back(
          {.sequence = &sequences[i + 1], .tokens = tokens, .query = &queries[i],
           .candidates = &candidates[i]});
    }
    engine.Forward(batch);
    INFO("position " << position);
    REQUIRE(std::memcmp(logits.data(), expected.data(), vocab * sizeof(float)) == 0);
    for (size_t i = 0; i < queries.size(); ++i) {
      INFO("query " << i);
      CheckCandidates(candidates[i], expected, queries[i]);
      if (queries[i].log_ratio == 0) {
        most_candidates = std::max(most_candidates, candidates[i].ids.size());
      }
    }
  }
  // The screen screens: greedy and top-k compute a small fraction of the
  // vocabulary. (Min-p 0.05 needs most of it here: this random model's
  // logits all lie within ln(20) of the best.)
  CHECK(most_candidates < static_cast<size_t>(vocab) / 20);
}

TEST_CASE("with the screened head off, a query gets every row") {
  Engine engine(kSmallModel, {.threads = 1, .screened_head = false});
  Sequence sequence = engine.NewSequence();
  CandidateLogits candidates;
  std::vector<int32_t> tokens = {1, 2, 3};
  engine.Forward(sequence, tokens, CandidateQuery{.k = 1}, candidates);
  CHECK(candidates.ids.size() == static_cast<size_t>(engine.config().vocab_size));
  CHECK(engine.screened_head_bytes() == 0);
  CHECK(engine.load_stats().screen_seconds == 0);
}

TEST_CASE("bad candidate queries are refused before anything changes") {
  Engine engine(kSmallModel, {.threads = 1});
  Sequence sequence = engine.NewSequence();
  CandidateLogits candidates;
  std::vector<float> logits(engine.config().vocab_size);
  const std::vector<int32_t> tokens = {1, 2};
  const auto refused = [&](const CandidateQuery& query, const char* what) {
    INFO(what);
    CHECK_THROWS_AS(engine.Forward(sequence, tokens, query, candidates), std::invalid_argument);
    CHECK(sequence.position() == 0);
  };
  refused({.k = 0}, "k below 1");
  refused({.k = 1, .log_ratio = 0.5}, "positive log ratio");
  refused({.k = 1, .log_ratio = NAN}, "NaN log ratio");
  refused({.k = 1, .forced = {-1}}, "forced id below 0");
  refused({.k = 1, .forced = {engine.config().vocab_size}}, "forced id past the vocabulary");
  const CandidateQuery query;
  const SequenceBatch both = {&sequence, tokens, 1, logits, &query, &candidates};
  CHECK_THROWS_AS(engine.Forward({&both, 1}), std::invalid_argument);
  const SequenceBatch half = {&sequence, tokens, 0, {}, &query, nullptr};
  CHECK_THROWS_AS(engine.Forward({&half, 1}), std::invalid_argument);
  const SequenceBatch empty = {&sequence, {}, 0, {}, &query, &candidates};
  CHECK_THROWS_AS(engine.Forward({&empty, 1}), std::invalid_argument);
  CHECK(sequence.position() == 0);
}

}  // namespace
}  // namespace bitbrain::runtime
