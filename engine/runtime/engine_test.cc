// The engine's own invariants on the tiny synthetic model: logits bit for bit
// independent of threads, prefill chunking, batching and the kernel variant;
// KV cache reuse; and a clear error for every bad input. (Equality with the
// reference forward pass is checked in conformance/.)
#include "engine/runtime/engine.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace bitbrain::runtime {
namespace {

constexpr const char* kTinyModel = "engine/synthetic/tiny.gguf";

// Deterministic token ids in [0, vocab).
std::vector<int32_t> Tokens(int count, int vocab, uint32_t seed) {
  std::vector<int32_t> tokens(count);
  uint32_t state = seed;
  for (int32_t& token : tokens) {
    state = state * 1664525u + 1013904223u;
    token = static_cast<int32_t>((state >> 8) % static_cast<uint32_t>(vocab));
  }
  return tokens;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The logits of every position of `tokens`, fed in one Forward() call.
std::vector<float> AllLogits(Engine& engine, const std::vector<int32_t>& tokens) {
  Sequence sequence = engine.NewSequence();
  std::vector<float> logits(tokens.size() * engine.config().vocab_size);
  const SequenceBatch entry = {&sequence, tokens, static_cast<int>(tokens.size()), logits};
  engine.Forward({&entry, 1});
  REQUIRE(sequence.position() == static_cast<int>(tokens.size()));
  return logits;
}

TEST_CASE("logits do not depend on threads, chunk size, kernel variant or weight layout") {
  Engine baseline(kTinyModel, {.threads = 1, .prefill_chunk = 1000, .isa = kernels::Isa::kScalar});
  const int vocab = baseline.config().vocab_size;
  const std::vector<int32_t> prompt = Tokens(41, vocab, 7);
  const std::vector<float> expected = AllLogits(baseline, prompt);
  for (const float logit : expected) REQUIRE(std::isfinite(logit));
  // Different tokens give different logits: the model is not degenerate.
  REQUIRE(std::memcmp(expected.data(), expected.data() + vocab, vocab * sizeof(float)) != 0);

  for (const kernels::Isa isa : kernels::SupportedIsas()) {
    for (const int threads : {1, 2, 3}) {
      for (const int chunk : {1, 7, 64}) {
        INFO("isa " << kernels::IsaName(isa) << ", threads " << threads << ", chunk " << chunk);
        Engine engine(kTinyModel, {.threads = threads, .prefill_chunk = chunk, .isa = isa});
        CHECK(SameBits(AllLogits(engine, prompt), expected));
      }
    }
    INFO("isa " << kernels::IsaName(isa) << ", 2-bit weights");
    Engine two_bit(kTinyModel, {.threads = 2, .prefill_chunk = 7, .isa = isa,
                                .compact_weights = false});
    CHECK(two_bit.ternary_layout() == kernels::TernaryLayout::kTwoBit);
    CHECK(SameBits(AllLogits(two_bit, prompt), expected));
  }
}

TEST_CASE("a sequence batched with others gets the logits it gets alone") {
  Engine engine(kTinyModel, {.threads = 2, .prefill_chunk = 5});
  const int vocab = engine.config().vocab_size;
  const std::vector<std::vector<int32_t>> prompts = {Tokens(12, vocab, 1), Tokens(3, vocab, 2),
                                                     Tokens(17, vocab, 3)};

  // Alone: prefill, then three decoding steps, the logits of each.
  std::vector<std::vector<float>> alone;
  for (const std::vector<int32_t>& prompt : prompts) {
    Sequence sequence = engine.NewSequence();
    std::vector<float> logits(vocab);
    engine.Forward(sequence, prompt, logits);
    std::vector<float> all = logits;
    for (int step = 0; step < 3; ++step) {
      const int32_t next = static_cast<int32_t>(step * 31 + prompt.size()) % vocab;
      engine.Forward(sequence, std::span<const int32_t>(&next, 1), logits);
      all.insert(all.end(), logits.begin(), logits.end());
    }
    alone.push_back(all);
  }

  // Together: one prefill call and three decoding calls for all three.
  std::vector<Sequence> sequences;
  for (size_t i = 0; i < prompts.size(); ++i) sequences.push_back(engine.NewSequence());
  std::vector<std::vector<float>> together(prompts.size());
  std::vector<std::vector<float>> logits(prompts.size(), std::vector<float>(vocab));
  std::vector<SequenceBatch> batch;
  for (size_t i = 0; i < prompts.size(); ++i) {
    batch.push_back({&sequences[i], prompts[i], 1, logits[i]});
  }
  engine.Forward(batch);
  for (size_t i = 0; i < prompts.size(); ++i) together[i] = logits[i];
  std::vector<int32_t> next(prompts.size());
  for (int step = 0; step < 3; ++step) {
    batch.clear();
    for (size_t i = 0; i < prompts.size(); ++i) {
      next[i] = static_cast<int32_t>(step * 31 + prompts[i].size()) % vocab;
      batch.push_back({&sequences[i], {&next[i], 1}, 1, logits[i]});
    }
    engine.Forward(batch);
    for (size_t i = 0; i < prompts.size(); ++i) {
      together[i].insert(together[i].end(), logits[i].begin(), logits[i].end());
    }
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    INFO("sequence " << i);
    CHECK(SameBits(together[i], alone[i]));
    CHECK(sequences[i].position() == static_cast<int>(prompts[i].size()) + 3);
  }
}

TEST_CASE("a truncated sequence continues as if the rest had never been decoded") {
  Engine engine(kTinyModel, {.threads = 2});
  const int vocab = engine.config().vocab_size;
  const std::vector<int32_t> prompt = Tokens(20, vocab, 11);
  const std::vector<int32_t> other = Tokens(10, vocab, 12);
  std::vector<float> expected(vocab), actual(vocab);

  Sequence fresh = engine.NewSequence();
  engine.Forward(fresh, prompt, expected);

  Sequence reused = engine.NewSequence();
  engine.Forward(reused, std::span(prompt).first(10), {});
  engine.Forward(reused, other, {});  // a different continuation, then dropped
  reused.Truncate(10);
  engine.Forward(reused, std::span(prompt).subspan(10), actual);
  CHECK(SameBits(actual, expected));
  CHECK_THROWS_AS(reused.Truncate(21), std::out_of_range);
  CHECK_THROWS_AS(reused.Truncate(-1), std::out_of_range);
}

TEST_CASE("bad input is rejected with a clear error and changes nothing") {
  Engine engine(kTinyModel, {.threads = 1, .context_length = 16});
  const int vocab = engine.config().vocab_size;
  CHECK(engine.context_length() == 16);
  Sequence sequence = engine.NewSequence();
  std::vector<float> logits(vocab);
  const std::vector<int32_t> ok = Tokens(4, vocab, 5);

  const auto rejects = [&](std::span<const SequenceBatch> batch, const std::string& message) {
    CHECK_THROWS_WITH(engine.Forward(batch), Catch::Contains(message));
    CHECK(sequence.position() == 0);
  };
  const std::vector<int32_t> out_of_vocab = {1, vocab};
  SequenceBatch entry = {&sequence, out_of_vocab, 1, logits};
  rejects({&entry, 1}, "outside the vocabulary");
  const std::vector<int32_t> negative = {-1};
  entry = {&sequence, negative, 1, logits};
  rejects({&entry, 1}, "outside the vocabulary");
  const std::vector<int32_t> too_long = Tokens(17, vocab, 6);
  entry = {&sequence, too_long, 1, logits};
  rejects({&entry, 1}, "do not fit");
  entry = {&sequence, ok, 2, logits};
  rejects({&entry, 1}, "holds " + std::to_string(vocab) + " floats");
  entry = {&sequence, ok, 5, logits};
  rejects({&entry, 1}, "logits_count 5");
  entry = {nullptr, ok, 1, logits};
  rejects({&entry, 1}, "no sequence");
  const SequenceBatch twice[] = {{&sequence, ok, 0, {}}, {&sequence, ok, 0, {}}};
  rejects(twice, "already in the batch");
  Engine other(kTinyModel, {.threads = 1, .context_length = 32});
  Sequence foreign = other.NewSequence();
  const SequenceBatch mixed[] = {{&sequence, ok, 0, {}}, {&foreign, ok, 0, {}}};
  rejects(mixed, "KV cache shape");

  // The context fills exactly, then refuses one more token.
  engine.Forward(sequence, Tokens(16, vocab, 8), logits);
  CHECK(sequence.position() == 16);
  const int32_t one = 1;
  CHECK_THROWS_WITH(engine.Forward(sequence, {&one, 1}, logits), Catch::Contains("do not fit"));
}

TEST_CASE("bad options and files are rejected") {
  CHECK_THROWS_AS(Engine(kTinyModel, {.threads = -1}), std::invalid_argument);
  CHECK_THROWS_AS(Engine(kTinyModel, {.context_length = -5}), std::invalid_argument);
  CHECK_THROWS_AS(Engine(kTinyModel, {.prefill_chunk = 0}), std::invalid_argument);
  CHECK_THROWS_AS(Engine("no/such/model.gguf"), gguf::GgufError);
}

TEST_CASE("load statistics and the cache size") {
  Engine engine(kTinyModel, {.threads = 2, .context_length = 100});
  const ModelConfig& c = engine.config();
  CHECK(engine.threads() == 2);
  CHECK(engine.load_stats().ready_seconds >= engine.load_stats().repack_seconds);
  CHECK(engine.load_stats().repacked_bytes > 0);
  CHECK(engine.NewSequence().cache_bytes() ==
        size_t{2} * 2 * c.block_count * c.head_count_kv * 100 * c.head_dim);
}

TEST_CASE("a tuning splits the model's products and sets the prefill chunk") {
  Engine engine(kTinyModel, {.threads = 2, .prefill_chunk = 7});
  const ModelConfig& c = engine.config();
  const std::vector<kernels::SplitKey> splits = ParallelSplits(c, 2);
  // Q K V, O, gate up, down, head: every matrix of a layer once, then the head.
  REQUIRE(splits.size() == 5);
  size_t layer_elements = 0;
  for (size_t i = 0; i + 1 < splits.size(); ++i) layer_elements += size_t(splits[i].rows) * splits[i].cols;
  const size_t kv_dim = size_t(c.head_dim) * c.head_count_kv;
  const size_t hidden = c.embedding_length, ffn = c.feed_forward_length;
  CHECK(layer_elements == hidden * (hidden + 2 * kv_dim) + hidden * hidden + 3 * hidden * ffn);
  CHECK((splits[4].kind == kernels::SplitKind::kHead && splits[4].rows == c.vocab_size));

  const std::vector<int32_t> tokens = Tokens(30, c.vocab_size, 9);
  const std::vector<float> before = AllLogits(engine, tokens);
  kernels::Tuning tuning;
  tuning.cpu = "test";
  tuning.prefill_chunk = 5;
  for (const kernels::SplitKey& key : splits) tuning.tasks_per_thread[key] = 13;
  engine.set_tuning(tuning);
  CHECK(engine.prefill_chunk() == 5);
  CHECK(engine.tuning() == tuning);
  CHECK(SameBits(AllLogits(engine, tokens), before));
  // A tuning without a prefill chunk keeps the engine's.
  engine.set_tuning({});
  CHECK(engine.prefill_chunk() == 5);
  // The weights keep the layout they were loaded in.
  tuning.layout[2] = engine.ternary_layout() == kernels::TernaryLayout::kCompact
                         ? kernels::TernaryLayout::kTwoBit
                         : kernels::TernaryLayout::kCompact;
  const kernels::TernaryLayout loaded = engine.ternary_layout();
  engine.set_tuning(tuning);
  CHECK(engine.ternary_layout() == loaded);
}

TEST_CASE("a tuning's layout for the thread count decides the weights' layout") {
  kernels::Tuning tuning;
  tuning.cpu = "test";
  tuning.layout[1] = kernels::TernaryLayout::kTwoBit;
  tuning.layout[2] = kernels::TernaryLayout::kCompact;
  CHECK_FALSE(WithTuning({.threads = 1}, tuning).compact_weights);
  CHECK(WithTuning({.threads = 2, .compact_weights = false}, tuning).compact_weights);
  // No layout measured for 3 threads: the options' own choice stands.
  CHECK(WithTuning({.threads = 3}, tuning).compact_weights);
  CHECK_FALSE(WithTuning({.threads = 3, .compact_weights = false}, tuning).compact_weights);
  const Engine engine(kTinyModel, WithTuning({.threads = 1}, tuning));
  CHECK(engine.ternary_layout() == kernels::TernaryLayout::kTwoBit);
}

}  // namespace
}  // namespace bitbrain::runtime
