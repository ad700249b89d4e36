#include "conformance/engine_harness.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>

#include "reference/model.h"

namespace bitbrain::conformance {

int32_t Argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

DecodeRun ReferenceGreedy(const gguf::File& file, std::span<const int32_t> prompt, int steps) {
  reference::ReferenceModel model(file);
  const int vocab = model.config().vocab_size;
  DecodeRun run;
  const reference::Matrix prompt_logits = model.Forward(prompt, reference::Logits::kAll);
  run.logits.assign(prompt_logits.data(), prompt_logits.data() + prompt_logits.size());
  for (int step = 0; step < steps; ++step) {
    const int32_t next = Argmax(std::span(run.logits).last(vocab));
    run.fed.push_back(next);
    const reference::Matrix logits = model.Forward({&next, 1}, reference::Logits::kLast);
    run.logits.insert(run.logits.end(), logits.data(), logits.data() + logits.size());
  }
  return run;
}

std::vector<DecodeRun> EngineDecode(runtime::Engine& engine,
                                    const std::vector<std::vector<int32_t>>& prompts, int steps,
                                    Batching batching, const ChooseToken& choose) {
  const size_t vocab = engine.config().vocab_size;
  const size_t n = prompts.size();
  std::vector<runtime::Sequence> sequences;
  std::vector<DecodeRun> runs(n);
  for (size_t i = 0; i < n; ++i) {
    sequences.push_back(engine.NewSequence());
    runs[i].logits.resize(prompts[i].size() * vocab);
  }
  // One Forward() call for the sequences [first, last).
  const auto forward = [&](size_t first, size_t last, bool prefill) {
    std::vector<runtime::SequenceBatch> batch;
    std::vector<int32_t> next(n);
    for (size_t i = first; i < last; ++i) {
      DecodeRun& run = runs[i];
      if (prefill) {
        batch.push_back(
            {&sequences[i], prompts[i], static_cast<int>(prompts[i].size()), run.logits});
      } else {
        next[i] = choose(i, std::span(run.logits).last(vocab));
        run.fed.push_back(next[i]);
        run.logits.resize(run.logits.size() + vocab);
        batch.push_back({&sequences[i], {&next[i], 1}, 1, std::span(run.logits).last(vocab)});
      }
    }
    engine.Forward(batch);
  };
  if (batching == Batching::kTogether) {
    forward(0, n, true);
    for (int step = 0; step < steps; ++step) forward(0, n, false);
  } else {
    for (size_t i = 0; i < n; ++i) {
      forward(i, i + 1, true);
      for (int step = 0; step < steps; ++step) forward(i, i + 1, false);
    }
  }
  return runs;
}

std::vector<DecodeRun> EngineGreedy(runtime::Engine& engine,
                                    const std::vector<std::vector<int32_t>>& prompts, int steps,
                                    Batching batching) {
  return EngineDecode(engine, prompts, steps, batching,
                      [](size_t, std::span<const float> logits) { return Argmax(logits); });
}

std::vector<int32_t> PseudoRandomTokens(int count, int vocab, uint32_t seed) {
  std::vector<int32_t> tokens(count);
  uint32_t state = seed;
  for (int32_t& token : tokens) {
    state = state * 1664525u + 1013904223u;  // Numerical Recipes' LCG
    token = static_cast<int32_t>((state >> 8) % static_cast<uint32_t>(vocab));
  }
  return tokens;
}

std::string FirstDifference(const DecodeRun& expected, const DecodeRun& actual, int prompt_length,
                            int vocab) {
  if (expected.logits.size() != actual.logits.size()) {
    return "logits sizes differ: " + std::to_string(expected.logits.size()) + " vs " +
           std::to_string(actual.logits.size());
  }
  for (size_t i = 0; i < expected.logits.size(); ++i) {
    const uint32_t e = std::bit_cast<uint32_t>(expected.logits[i]);
    const uint32_t a = std::bit_cast<uint32_t>(actual.logits[i]);
    if (e == a) continue;
    const int row = static_cast<int>(i / vocab);
    char values[96];
    std::snprintf(values, sizeof values, ": %.9g (0x%08x) vs %.9g (0x%08x)", expected.logits[i], e,
                  actual.logits[i], a);
    const std::string where = row < prompt_length
                                  ? "prompt position " + std::to_string(row)
                                  : "decoding step " + std::to_string(row - prompt_length);
    return where + ", logit " + std::to_string(i % vocab) + values;
  }
  if (expected.fed != actual.fed) return "same logits but different tokens fed";
  return "";
}

}  // namespace bitbrain::conformance
