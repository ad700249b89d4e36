// Decoding runs of the engine and of the reference forward pass, to compare
// bit for bit: the logits of every prompt position, then of every decoding
// step.
#ifndef BITBRAIN_CONFORMANCE_ENGINE_HARNESS_H_
#define BITBRAIN_CONFORMANCE_ENGINE_HARNESS_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/runtime/engine.h"

namespace bitbrain::conformance {

// A prompt evaluated with logits at every position, then `steps` tokens fed
// one at a time, each chosen from the logits before it.
struct DecodeRun {
  std::vector<int32_t> fed;   // the generated tokens, in order
  std::vector<float> logits;  // [prompt + steps][vocab]: prompt positions, then each step
};

// The highest logit; the lowest id among equal ones.
int32_t Argmax(std::span<const float> logits);

// The reference (reference/model.h) on the model in `file`.
DecodeRun ReferenceGreedy(const gguf::File& file, std::span<const int32_t> prompt, int steps);

// The engine on several sequences: each alone, one after the other, or all
// batched in the same Forward() calls (prefill together, then one decoding
// step for all of them per call). One DecodeRun per prompt.
enum class Batching { kAlone, kTogether };

// Chooses the next token of prompt `index` from its latest logits row.
using ChooseToken = std::function<int32_t(size_t index, std::span<const float> logits)>;

std::vector<DecodeRun> EngineDecode(runtime::Engine& engine,
                                    const std::vector<std::vector<int32_t>>& prompts, int steps,
                                    Batching batching, const ChooseToken& choose);

// EngineDecode choosing greedily (Argmax).
std::vector<DecodeRun> EngineGreedy(runtime::Engine& engine,
                                    const std::vector<std::vector<int32_t>>& prompts, int steps,
                                    Batching batching);

// Deterministic token ids in [0, vocab).
std::vector<int32_t> PseudoRandomTokens(int count, int vocab, uint32_t seed);

// "" if the runs are equal bit for bit, else where they first differ
// (position or step, vocabulary index, both values).
std::string FirstDifference(const DecodeRun& expected, const DecodeRun& actual, int prompt_length,
                            int vocab);

}  // namespace bitbrain::conformance

#endif  // BITBRAIN_CONFORMANCE_ENGINE_HARNESS_H_
