// Candidate queries through the engine on the small synthetic model (the
// LLaMA-3 vocabulary): the screened head's candidates hold every row a query
// needs, their logits are the full head's bit for bit, in batches that mix
// full rows and queries; with an allowed set both heads answer with allowed
// rows only; with screening off a query gets every row; bad queries are
// refused.
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

bool IsAllowed(const CandidateQuery& query, int32_t v) {
  return query.allowed.empty() || query.allowed[v] != 0;
}

// The rows `query` needs (candidates.h) from a full row of logits.
std::vector<int32_t> Needed(const std::vector<float>& logits, const CandidateQuery& query) {
  const auto forced = [&](int32_t v) {
    return std::find(query.forced.begin(), query.forced.end(), v) != query.forced.end();
  };
  std::vector<float> free;
  for (int32_t v = 0; v < static_cast<int32_t>(logits.size()); ++v) {
    if (IsAllowed(query, v) && !forced(v)) free.push_back(logits[v]);
  }
  double threshold = -INFINITY;
  if (free.size() >= static_cast<size_t>(query.k)) {
    std::nth_element(free.begin(), free.begin() + (query.k - 1), free.end(),
                     std::greater<float>());
    threshold = free[query.k - 1] + query.log_ratio;
  }
  std::vector<int32_t> ids;
  for (int32_t v = 0; v < static_cast<int32_t>(logits.size()); ++v) {
    if (IsAllowed(query, v) && (forced(v) || logits[v] >= threshold)) ids.push_back(v);
  }
  return ids;
}

// Every needed row is a candidate, none the query excludes is, and every
// candidate's logit has the full head's bits.
void CheckCandidates(const CandidateLogits& candidates, const std::vector<float>& full,
                     const CandidateQuery& query) {
  REQUIRE(candidates.vocab_size == static_cast<int>(full.size()));
  REQUIRE(candidates.ids.size() == candidates.logits.size());
  REQUIRE(std::is_sorted(candidates.ids.begin(), candidates.ids.end()));
  for (size_t i = 0; i < candidates.ids.size(); ++i) {
    INFO("candidate row " << candidates.ids[i]);
    REQUIRE(IsAllowed(query, candidates.ids[i]));
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

TEST_CASE("a single greedy query: two vectors, few rows refined, the full head's best row") {
  Engine full_engine(kSmallModel, {.threads = 2, .screened_head = false});
  Engine engine(kSmallModel, {.threads = 2});
  const int vocab = engine.config().vocab_size;
  const CandidateQuery greedy{.k = 1};
  const std::vector<int32_t> prompt = Tokens(8, vocab, 5);
  Sequence reference = full_engine.NewSequence();
  Sequence sequence = engine.NewSequence();
  std::vector<float> expected(vocab);
  CandidateLogits candidates;
  for (size_t position = 0; position < prompt.size(); ++position) {
    const std::span<const int32_t> token(prompt.data() + position, 1);
    full_engine.Forward(reference, token, expected);
    const HeadStats before = engine.head_stats();
    std::vector<SequenceBatch> batch = {
        {.sequence = &sequence, .tokens = token, .query = &greedy, .candidates = &candidates}};
    engine.Forward(batch);
    INFO("position " << position);
    CheckCandidates(candidates, expected, greedy);
    // The coarse bounds leave ~15% of the rows; refining the best of them
    // first leaves far fewer to refine, and fewer still to compute exactly.
    const int64_t refined = engine.head_stats().refined_rows - before.refined_rows;
    const int64_t exact = engine.head_stats().exact_rows - before.exact_rows;
    CHECK(refined > 0);
    CHECK(refined < vocab / 20);
    CHECK(exact == static_cast<int64_t>(candidates.ids.size()));
    CHECK(exact < refined);
  }
}

TEST_CASE("an allowed set: the screened and full heads answer with allowed rows, same bits") {
  Engine full_engine(kSmallModel, {.threads = 2, .screened_head = false});
  Engine engine(kSmallModel, {.threads = 2});
  const int vocab = engine.config().vocab_size;
  const std::vector<int32_t> prompt = Tokens(12, vocab, 5);
  Sequence reference = full_engine.NewSequence();
  // Per query kind, a sequence on each engine.
  constexpr int kKinds = 4;
  std::vector<Sequence> screened, full;
  for (int i = 0; i < kKinds; ++i) {
    screened.push_back(engine.NewSequence());
    full.push_back(full_engine.NewSequence());
  }
  std::vector<float> expected(vocab);
  std::vector<CandidateLogits> from_screened(kKinds), from_full(kKinds);
  const HeadStats before = engine.head_stats();
  size_t most_candidates = 0;
  for (int position = 0; position < static_cast<int>(prompt.size()); position += 3) {
    const std::span<const int32_t> tokens(prompt.data() + position, 3);
    full_engine.Forward(reference, tokens, expected);
    // The position's rows, best first.
    std::vector<int32_t> order(vocab);
    for (int32_t v = 0; v < vocab; ++v) order[v] = v;
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      return expected[a] != expected[b] ? expected[a] > expected[b] : a < b;
    });
    // Every row but the 20 best and every fourth; a random-looking half; one
    // row far down the order.
    std::vector<uint8_t> without_top(vocab, 1), half(vocab, 0), one(vocab, 0);
    for (int32_t v = 0; v < vocab; v += 4) without_top[v] = 0;
    for (int i = 0; i < 20; ++i) without_top[order[i]] = 0;
    for (const int32_t v : Tokens(vocab / 2, vocab, 7 + position)) half[v] = 1;
    one[order[vocab / 3]] = 1;
    const std::vector<CandidateQuery> queries = {
        {.k = 1, .allowed = without_top},
        {.k = 40, .forced = {order[0], order[1], 900}, .allowed = without_top},
        {.k = 1, .log_ratio = std::log(0.5), .forced = {order[0], 5}, .allowed = half},
        {.k = 40, .forced = {order[0]}, .allowed = one},
    };
    std::vector<SequenceBatch> screened_batch, full_batch;
    for (int i = 0; i < kKinds; ++i) {
      screened_batch.push_back({.sequence = &screened[i], .tokens = tokens, .query = &queries[i],
                                .candidates = &from_screened[i]});
      full_batch.push_back({.sequence = &full[i], .tokens = tokens, .query = &queries[i],
                            .candidates = &from_full[i]});
    }
    engine.Forward(screened_batch);
    full_engine.Forward(full_batch);
    INFO("position " << position);
    for (int i = 0; i < kKinds; ++i) {
      INFO("query " << i);
      CheckCandidates(from_screened[i], expected, queries[i]);
      CheckCandidates(from_full[i], expected, queries[i]);
      // The full head answers with every allowed row.
      std::vector<int32_t> allowed_rows;
      for (int32_t v = 0; v < vocab; ++v) {
        if (IsAllowed(queries[i], v)) allowed_rows.push_back(v);
      }
      CHECK(from_full[i].ids == allowed_rows);
      if (i < 2) most_candidates = std::max(most_candidates, from_screened[i].ids.size());
    }
    CHECK(from_screened[3].ids == std::vector<int32_t>{order[vocab / 3]});
  }
  // Screening still screens, and answered every query.
  CHECK(most_candidates < static_cast<size_t>(vocab) / 20);
  CHECK(engine.head_stats().screened_rows - before.screened_rows ==
        kKinds * static_cast<int64_t>(prompt.size() / 3));
  CHECK(engine.head_stats().full_rows == before.full_rows);
}

TEST_CASE("with the screened head off, a query gets every row") {
  Engine engine(kSmallModel, {.threads = 1, .screened_head = false});
  Sequence sequence = engine.NewSequence();
  CandidateLogits candidates;
  std::vector<int32_t> tokens = {1, 2, 3};
  engine.Forward(sequence, tokens, CandidateQuery{.k = 1}, candidates);
  CHECK(candidates.ids.size() == static_cast<size_t>(engine.config().vocab_size));
  CHECK(engine.head_stats().full_rows == 1);
  CHECK(engine.head_stats().screened_rows == 0);
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
  const std::vector<uint8_t> short_mask(engine.config().vocab_size - 1, 1);
  refused({.k = 1, .allowed = short_mask}, "an allowed set shorter than the vocabulary");
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
