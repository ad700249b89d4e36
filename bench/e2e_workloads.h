// The end-to-end workloads, llama-bench style, and what each costs the
// memory and the int8 units, so that a measured time can be set against the
// machine's limits (the roofline):
//   ppN      prefill of an N-token prompt, with the last token's greedy
//            choice (its time is the time to first token for that prompt)
//   tgN      N decoding steps of one sequence from an empty context
//   bS-tgN   N decoding steps of S sequences batched in each step
//   ...@dD   any of them at depth D: after a D-token context, prefilled
//            untimed (llama-bench's -d), e.g. tg32@d1024
#ifndef BITBRAIN_BENCH_E2E_WORKLOADS_H_
#define BITBRAIN_BENCH_E2E_WORKLOADS_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/runtime/engine.h"

namespace bitbrain::bench {

struct Workload {
  std::string name;
  int prompt_tokens = 0;  // prefilled in the timed region when steps == 0
  int steps = 0;          // decoding steps
  int sequences = 1;
  int depth = 0;          // context tokens before the timed part

  bool is_prefill() const { return steps == 0; }
  int tokens() const { return is_prefill() ? prompt_tokens : steps * sequences; }
  // The untimed context each sequence holds when the timing starts: the
  // depth, and for decoding at least the one token that the first step
  // follows.
  int context_tokens() const { return is_prefill() ? depth : std::max(1, depth); }
  // The positions a sequence of this workload needs.
  int positions() const { return context_tokens() + (is_prefill() ? prompt_tokens : steps); }
};

// pp128, tg128, pp512, b4-tg32, b8-tg32.
std::vector<Workload> StandardWorkloads();

// The workloads named in `names` (comma-separated, as StandardWorkloads
// names them, or "ppN", "tgN", "bS-tgN" for any N and S, each optionally
// followed by "@dD"); throws std::invalid_argument otherwise.
std::vector<Workload> ParseWorkloads(const std::string& names);

// What one step of the model reads and computes, from the model's tensors
// as the engine holds them.
struct ModelTraffic {
  // Bytes every decoding step reads whatever the batch: the ternary weights
  // in the kernel variant's packed layout, the LM head and the norm weights.
  double weight_bytes_per_step = 0;
  // Bytes of keys and values one token reads per cached position.
  double kv_bytes_per_position = 0;
  // Multiply-accumulates of one token through the BitLinear layers, and of
  // one row of logits.
  double ternary_macs_per_token = 0;
  double head_macs_per_logits_row = 0;

  // Mean bytes read per decoded token in `workload` (a decoding one).
  double DecodeBytesPerToken(const Workload& workload) const;
  // Multiply-accumulates of `workload` (a prefill one).
  double PrefillMacs(const Workload& workload) const;
};

ModelTraffic MeasureTraffic(const std::string& model_path, const runtime::Engine& engine);

// Runs `workload` once on fresh sequences and returns the seconds its timed
// part took.
double RunWorkload(runtime::Engine& engine, const Workload& workload);

// Prefills `tokens` varied prompt tokens (the same for the same seed) into
// `sequence` and returns the greedy choice after them.
int32_t PrefillGreedy(runtime::Engine& engine, runtime::Sequence& sequence, int tokens, int seed);

// `steps` greedy decoding steps of all `sequences` at once (one batch per
// step), each starting from next[s], the token its last step chose, which it
// holds again afterwards.
void DecodeGreedy(runtime::Engine& engine, std::span<runtime::Sequence> sequences,
                  std::span<int32_t> next, int steps);

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_E2E_WORKLOADS_H_
