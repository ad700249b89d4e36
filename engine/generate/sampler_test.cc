// The sampler on crafted logits: each step's effect, and the seeded draws
// pinned to facts about std::mt19937_64 that the C++ standard guarantees.
#include "engine/generate/sampler.h"

#include <cmath>
#include <cstdint>
#include <set>
#include <stdexcept>
#include <vector>

#include <catch2/catch.hpp>

namespace bitbrain::generate {
namespace {

// Sampling with every filter off, at temperature 1.
SamplingParams Plain(uint64_t seed = 0) {
  SamplingParams params;
  params.temperature = 1;
  params.top_k = 0;
  params.top_p = 1;
  params.min_p = 0;
  params.seed = seed;
  return params;
}

SamplingParams Greedy() {
  SamplingParams params = Plain();
  params.temperature = 0;
  return params;
}

// The set of ids drawn in `draws` samples.
std::set<int32_t> Drawn(const SamplingParams& params, const std::vector<float>& logits,
                        int draws = 2000) {
  Sampler sampler(params);
  std::set<int32_t> ids;
  for (int i = 0; i < draws; ++i) ids.insert(sampler.Sample(logits));
  return ids;
}

TEST_CASE("greedy takes the highest logit, the lowest id on ties") {
  Sampler sampler(Greedy());
  CHECK(sampler.Sample(std::vector<float>{0.5f, 3.0f, -1.0f, 2.9f}) == 1);
  CHECK(sampler.Sample(std::vector<float>{1.0f, 4.0f, 2.0f, 4.0f}) == 1);
  SamplingParams negative = Greedy();
  negative.temperature = -1;
  CHECK(Sampler(negative).Sample(std::vector<float>{-3.0f, -2.0f, -2.5f}) == 1);
}

TEST_CASE("NaN logits are never chosen") {
  Sampler sampler(Greedy());
  CHECK(sampler.Sample(std::vector<float>{NAN, -5.0f, NAN}) == 1);
}

TEST_CASE("top-k keeps the k highest logits") {
  const std::vector<float> logits = {1.0f, 1.2f, 1.1f, 0.9f, 1.15f};
  SamplingParams params = Plain();
  params.top_k = 2;
  CHECK(Drawn(params, logits) == std::set<int32_t>{1, 4});
  params.top_k = 0;
  CHECK(Drawn(params, logits).size() == 5);
}

TEST_CASE("top-p keeps the smallest prefix reaching p") {
  // Probabilities 0.5, 0.25, 0.125, 0.125 (logits ln of them).
  const std::vector<float> logits = {std::log(0.125f), std::log(0.5f), std::log(0.25f),
                                     std::log(0.125f)};
  SamplingParams params = Plain();
  params.top_p = 0.7f;  // 0.5 < 0.7 <= 0.75
  CHECK(Drawn(params, logits) == std::set<int32_t>{1, 2});
  params.top_p = 0.8f;  // 0.75 < 0.8 <= 0.875: the first of the tied pair (id 0)
  CHECK(Drawn(params, logits) == std::set<int32_t>{0, 1, 2});
}

TEST_CASE("min-p keeps logits >= max + ln(min_p)") {
  // Relative probabilities 1, 0.3, 0.2, 0.05 of the best.
  const std::vector<float> logits = {0.0f, std::log(0.3f), std::log(0.2f), std::log(0.05f)};
  SamplingParams params = Plain();
  params.min_p = 0.25f;
  CHECK(Drawn(params, logits) == std::set<int32_t>{0, 1});
  params.min_p = 0.1f;
  CHECK(Drawn(params, logits) == std::set<int32_t>{0, 1, 2});
}

TEST_CASE("temperature sharpens or flattens the distribution") {
  // p(1) / p(0) = e at temperature 1; e^10 at temperature 0.1.
  const std::vector<float> logits = {0.0f, 1.0f};
  const auto count_zero = [&](float temperature) {
    SamplingParams params = Plain(7);
    params.temperature = temperature;
    Sampler sampler(params);
    int zeros = 0;
    for (int i = 0; i < 20000; ++i) zeros += sampler.Sample(logits) == 0;
    return zeros;
  };
  // Expected 20000 / (1 + e) = 5379 and 20000 / (1 + e^10) = 0.9.
  CHECK(count_zero(1.0f) > 5000);
  CHECK(count_zero(1.0f) < 5800);
  CHECK(count_zero(0.1f) < 10);
}

TEST_CASE("repeat penalty divides positive logits and multiplies negative ones") {
  SamplingParams params = Greedy();
  params.repeat_penalty = 2.0f;
  Sampler sampler(params);
  sampler.Accept(0);
  sampler.Accept(2);
  // 3.0 -> 1.5 loses to 2.0; -1.0 -> -2.0 loses to -1.5.
  CHECK(sampler.Sample(std::vector<float>{3.0f, 2.0f, -9.0f}) == 1);
  CHECK(sampler.Sample(std::vector<float>{-9.0f, -9.0f, -1.0f, -1.5f}) == 3);
}

TEST_CASE("frequency and presence penalties are subtracted") {
  SamplingParams params = Greedy();
  params.frequency_penalty = 0.5f;
  Sampler frequency(params);
  for (int i = 0; i < 3; ++i) frequency.Accept(0);
  // 2.0 - 3 * 0.5 = 0.5 < 0.6.
  CHECK(frequency.Sample(std::vector<float>{2.0f, 0.6f}) == 1);
  CHECK(frequency.Sample(std::vector<float>{2.0f, 0.4f}) == 0);

  params.frequency_penalty = 0;
  params.presence_penalty = 1.0f;
  Sampler presence(params);
  for (int i = 0; i < 3; ++i) presence.Accept(0);
  // 2.0 - 1.0 = 1.0, once however often.
  CHECK(presence.Sample(std::vector<float>{2.0f, 1.1f}) == 1);
  CHECK(presence.Sample(std::vector<float>{2.0f, 0.9f}) == 0);
}

TEST_CASE("penalties look only at the last n tokens") {
  SamplingParams params = Greedy();
  params.presence_penalty = 10.0f;
  params.penalty_last_n = 2;
  Sampler sampler(params);
  sampler.Accept(0);
  sampler.Accept(1);
  sampler.Accept(1);  // 0 has left the window
  CHECK(sampler.Sample(std::vector<float>{1.0f, 2.0f}) == 0);
  CHECK(sampler.Sample(std::vector<float>{0.0f, 2.0f, 1.0f}) == 2);
}

TEST_CASE("logit bias is added before everything else") {
  SamplingParams params = Greedy();
  params.logit_bias = {{0, -100.0f}, {2, 5.0f}};
  Sampler sampler(params);
  CHECK(sampler.Sample(std::vector<float>{10.0f, 9.0f, 4.5f}) == 2);
  params.logit_bias = {{3, 1.0f}};
  CHECK_THROWS_AS(Sampler(params).Sample(std::vector<float>{1.0f, 2.0f}), std::invalid_argument);
}

TEST_CASE("bad parameters and empty logits are errors") {
  SamplingParams params = Plain();
  params.top_p = 1.5f;
  CHECK_THROWS_AS(Sampler(params), std::invalid_argument);
  params = Plain();
  params.repeat_penalty = 0;
  CHECK_THROWS_AS(Sampler(params), std::invalid_argument);
  params = Plain();
  params.penalty_last_n = -1;
  CHECK_THROWS_AS(Sampler(params), std::invalid_argument);
  CHECK_THROWS_AS(Sampler(Plain()).Sample(std::vector<float>{}), std::invalid_argument);
}

TEST_CASE("Rng: the standard's mt19937_64 as doubles") {
  // [rand.predef]: the 10000th output of a default-constructed (seed 5489)
  // mt19937_64 is 9981545732273789042.
  Rng rng(5489);
  for (int i = 0; i < 9999; ++i) rng.NextDouble();
  CHECK(rng.NextDouble() == static_cast<double>(9981545732273789042ull >> 11) * 0x1.0p-53);
}

TEST_CASE("a draw is pinned by the seed") {
  // 100 equal logits: the draw is floor(u * 100) for the sampler's u. The
  // 10000th u of seed 5489 is 9981545732273789042 / 2^64 = 0.54110..., so
  // the 10000th token is 54.
  const std::vector<float> logits(100, 0.0f);
  Sampler sampler(Plain(5489));
  for (int i = 0; i < 9999; ++i) sampler.Sample(logits);
  CHECK(sampler.Sample(logits) == 54);
}

TEST_CASE("the same seed draws the same sequence; another seed does not") {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i));
  const auto draws = [&](uint64_t seed) {
    SamplingParams params;  // the defaults: every filter on
    params.seed = seed;
    params.repeat_penalty = 1.1f;
    Sampler sampler(params);
    std::vector<int32_t> ids;
    for (int i = 0; i < 200; ++i) {
      ids.push_back(sampler.Sample(logits));
      sampler.Accept(ids.back());
    }
    return ids;
  };
  CHECK(draws(42) == draws(42));
  CHECK(draws(42) != draws(43));
}

// The candidates of `logits` a query's answer may hold: `ids`, ascending.
runtime::CandidateLogits Subset(const std::vector<float>& logits, std::vector<int32_t> ids) {
  runtime::CandidateLogits candidates{.vocab_size = static_cast<int>(logits.size()), .ids = ids};
  for (const int32_t id : ids) candidates.logits.push_back(logits[id]);
  return candidates;
}

TEST_CASE("Query: which chains can use candidates, with bias and penalty tokens forced") {
  CHECK(Sampler(Greedy()).Query()->k == 1);
  SamplingParams top_k = Plain();
  top_k.top_k = 40;
  top_k.top_p = 0.9f;
  CHECK(Sampler(top_k).Query()->k == 40);
  SamplingParams min_p = Plain();
  min_p.min_p = 0.05f;
  const std::optional<runtime::CandidateQuery> query = Sampler(min_p).Query();
  REQUIRE(query);
  CHECK(query->k == 1);
  CHECK(query->log_ratio == std::log(static_cast<double>(0.05f)));
  min_p.top_p = 0.9f;  // top-p before min-p needs the whole distribution
  CHECK_FALSE(Sampler(min_p).Query());
  CHECK_FALSE(Sampler(Plain()).Query());  // temperature alone
  SamplingParams forced = Greedy();
  forced.logit_bias = {{3, 1.0f}};
  forced.penalty_last_n = 4;
  Sampler neutral(forced);  // penalties off: the recent tokens keep their logits
  neutral.Accept(7);
  CHECK(neutral.Query()->forced == std::vector<int32_t>{3});
  forced.repeat_penalty = 1.1f;
  Sampler sampler(forced);
  sampler.Accept(7);
  const std::vector<int32_t> expected = {3, 7};
  CHECK(sampler.Query()->forced == expected);
}

TEST_CASE("Sample(candidates) picks what Sample(logits) picks; a missing forced token throws") {
  const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 1.9f, 0.1f, 1.0f, 1.95f};
  SamplingParams params = Plain(11);
  params.top_k = 3;  // rows 1, 6, 3
  params.logit_bias = {{5, 0.5f}};  // row 5 forced: 1.5
  Sampler full(params), screened(params);
  const runtime::CandidateLogits candidates = Subset(logits, {1, 3, 5, 6});
  for (int i = 0; i < 200; ++i) CHECK(screened.Sample(candidates) == full.Sample(logits));
  Sampler missing(params);
  CHECK_THROWS_AS(missing.Sample(Subset(logits, {1, 3, 6})), std::invalid_argument);
  CHECK(Sampler(Greedy()).Sample(Subset(logits, {1, 3, 6})) == 1);
}

TEST_CASE("Sample(candidates, allowed) picks what Sample(masked logits) picks") {
  const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 1.9f, 0.1f, 1.0f, 1.95f, 0.7f};
  // A mask refusing the two best rows (1, 6): the engine leaves them out.
  const std::vector<uint8_t> allowed = {1, 0, 1, 1, 1, 1, 0, 1};
  std::vector<float> masked = logits;
  for (size_t id = 0; id < logits.size(); ++id) {
    if (!allowed[id]) masked[id] = -INFINITY;
  }
  SamplingParams params = Plain(5);
  params.logit_bias = {{1, 3.0f}, {5, 0.5f}};  // row 1 forced but refused
  params.penalty_last_n = 4;
  params.repeat_penalty = 1.5f;
  const std::vector<int32_t> history = {6, 3};  // row 6 penalized but refused
  const auto chains = {std::pair{3, 1.0f}, std::pair{40, 0.9f}};  // top-k; more than allowed
  for (const auto& [top_k, top_p] : chains) {
    params.top_k = top_k;
    params.top_p = top_p;
    Sampler full(params), screened(params);
    for (const int32_t token : history) {
      full.Accept(token);
      screened.Accept(token);
    }
    // Every allowed row: what the full head answers (k = 40 needs them all).
    const runtime::CandidateLogits candidates = Subset(logits, {0, 2, 3, 4, 5, 7});
    for (int i = 0; i < 200; ++i) {
      CHECK(screened.Sample(candidates, allowed) == full.Sample(masked));
    }
  }
  params.temperature = 0;
  CHECK(Sampler(params).Sample(Subset(logits, {3, 5, 7}), allowed) == 3);
  CHECK(Sampler(params).Sample(masked) == 3);
  // An allowed forced row must still be there.
  CHECK_THROWS_AS(Sampler(params).Sample(Subset(logits, {3, 7}), allowed), std::invalid_argument);
  CHECK_THROWS_AS(Sampler(params).Sample(Subset(logits, {3, 5, 7})), std::invalid_argument);
}

}  // namespace
}  // namespace bitbrain::generate
