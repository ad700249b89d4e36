// The forward pass of a BitNet b1.58 model (../shared/specs/bitnet-model.md
// section 4) on the kernels, computed as conformance/NUMERICS.md defines it.
//
// An Engine holds what every sequence shares: the mapped model file, the
// ternary weights repacked for the kernel variant, the thread pool and the
// RoPE table. A Sequence holds one text's KV cache. Forward() appends new
// tokens to one or several sequences in steps; in a step, every BitLinear
// and the LM head is one matrix product over all the step's tokens (a GEMM
// for a batch of sequences, not one GEMV per sequence), and attention runs
// per sequence. Every output element is computed wholly by one kernel call,
// so logits do not depend on the thread count, the prefill chunk size or
// which other sequences share a step.
//
//   runtime::Engine engine("model.gguf", {.threads = 2});
//   runtime::Sequence sequence = engine.NewSequence();
//   std::vector<float> logits(engine.config().vocab_size);
//   engine.Forward(sequence, prompt_tokens, logits);  // logits of the last token
//
// Instead of a full row of logits, an entry may ask for the exact logits of
// the rows a sampler needs (candidates.h); with EngineOptions::screened_head
// these come from the bound-screened head (screened_head.h), which reads a
// quarter of the head's bytes plus a few exact rows.
#ifndef BITBRAIN_ENGINE_RUNTIME_ENGINE_H_
#define BITBRAIN_ENGINE_RUNTIME_ENGINE_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"
#include "engine/model/bitnet_model.h"
#include "engine/runtime/candidates.h"
#include "engine/runtime/model_weights.h"
#include "engine/runtime/rope_table.h"
#include "engine/runtime/screened_head.h"
#include "engine/runtime/sequence.h"
#include "kernels/isa.h"
#include "kernels/kernels.h"
#include "kernels/thread_pool.h"
#include "kernels/tuning.h"

namespace bitbrain::runtime {

struct EngineOptions {
  int threads = 0;         // 0: every core this process may run on
  int context_length = 0;  // positions per sequence; 0: the model's
  // At most this many tokens of one sequence per step. Prefill speed on a
  // 2B4T model is flat from 32 to 512; smaller steps need less memory and
  // let a server interleave other sequences' decoding sooner.
  int prefill_chunk = 64;
  std::optional<kernels::Isa> isa = std::nullopt;  // default: kernels::ActiveIsa()
  // Ternary weights in the compact layout (1.6-1.7 bits per weight) rather than
  // 2 bits: fewer bytes per token, the same results (kernels.h, TernaryLayout).
  bool compact_weights = true;
  // Map the repacked weights (and the screened head's copy) from cache files
  // beside the model, written on the first start (repack_cache.h), instead of
  // building them at every start.
  bool cache_repacked_weights = true;
  // How products are split among the threads; never changes results.
  kernels::Tuning tuning = {};
  // Build the int8 screening copy of the head at load and answer candidate
  // queries with it; off: candidate queries get every row from the full head.
  bool screened_head = true;
};

// `options` with `tuning` and, if the tuning has them, its prefill chunk and
// its ternary layout for options.threads (which then decides compact_weights).
EngineOptions WithTuning(EngineOptions options, const kernels::Tuning& tuning);

// The parallel products a step of a model runs on `threads` threads, as
// tuning keys: the grouped BitLinear products of a layer (Q K V, O, gate up,
// down), then the LM head.
std::vector<kernels::SplitKey> ParallelSplits(const ModelConfig& config, int threads);

// Where the time from start to ready went.
struct LoadStats {
  double map_seconds = 0;     // open, map and check the file; start the threads
  double repack_seconds = 0;  // ternary weights into the variant's layout (or mapped)
  double ready_seconds = 0;   // all of it, with the RoPE table
  size_t repacked_bytes = 0;
  bool from_cache = false;    // the repacked weights were mapped from the cache
  double screen_seconds = 0;  // the screening copy of the LM head (0 when off)
  bool screen_from_cache = false;  // ...mapped from its cache
  size_t screen_bytes = 0;
};

// What the LM head has computed since the engine started.
struct HeadStats {
  int64_t full_rows = 0;      // positions whose every logit was computed (the full head)
  int64_t screened_rows = 0;  // candidate queries the screened head answered
  int64_t refined_rows = 0;   // rows of those whose fine plane was read
  int64_t exact_rows = 0;     // rows of those computed exactly (the candidates)
};

// New tokens for one sequence in a Forward() call.
struct SequenceBatch {
  Sequence* sequence = nullptr;
  std::span<const int32_t> tokens = {};  // appended from sequence->position() on
  int logits_count = 0;                  // the last logits_count tokens get logits...
  std::span<float> logits = {};          // ...here, logits_count rows of vocab_size
  // Or (logits_count 0): the exact logits of the rows `query` needs for the
  // last token, written to `candidates`.
  const CandidateQuery* query = nullptr;
  CandidateLogits* candidates = nullptr;
};

class Engine {
 public:
  // Maps and checks the model, repacks its ternary weights and starts the
  // threads. Throws gguf::GgufError for a bad file, std::invalid_argument
  // for bad options, std::runtime_error for an unsupported kernel variant.
  explicit Engine(const std::string& model_path, const EngineOptions& options = {});
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const ModelConfig& config() const { return model_.config; }
  int context_length() const { return context_length_; }
  int prefill_chunk() const { return options_.prefill_chunk; }
  const kernels::Tuning& tuning() const { return options_.tuning; }
  // Replaces the tuning (and the prefill chunk if the tuning has one), e.g.
  // to compare candidates without reloading the model; the weights keep the
  // layout they were loaded in.
  void set_tuning(const kernels::Tuning& tuning);
  int threads() const { return pool_.threads(); }
  kernels::Isa isa() const { return kernels_.isa; }
  kernels::TernaryLayout ternary_layout() const { return ternary_layout_; }
  const LoadStats& load_stats() const { return load_stats_; }
  // The KV cache shape of this engine's sequences.
  CacheShape cache_shape() const;

  // An empty sequence with a KV cache of context_length() positions.
  Sequence NewSequence() const { return Sequence(cache_shape()); }

  // Appends each entry's tokens to its sequence and writes the requested
  // logits. The entries' sequences must be distinct and made by this engine.
  // Checks every entry first (token ids, context room, logits sizes) and
  // throws std::invalid_argument without changing anything if one is wrong.
  // Not thread-safe: one Forward() at a time per engine.
  void Forward(std::span<const SequenceBatch> batch);

  // One sequence: appends `tokens` and writes the last token's logits to
  // `logits` (vocab_size floats), or no logits if `logits` is empty.
  void Forward(Sequence& sequence, std::span<const int32_t> tokens, std::span<float> logits);

  // One sequence: appends `tokens` (at least one) and writes the last
  // token's candidate logits for `query`.
  void Forward(Sequence& sequence, std::span<const int32_t> tokens, const CandidateQuery& query,
               CandidateLogits& candidates);

  // Bytes the screened head reads per step; 0 when it is off.
  size_t screened_head_bytes() const { return screened_.bytes(); }
  // Like Forward(), not thread-safe: read it between Forward() calls.
  const HeadStats& head_stats() const { return head_stats_; }

 private:
  // One token of a step: its id and where it goes.
  struct Row {
    int32_t token;
    Sequence* sequence;
    int position;
  };
  // A row whose logits are wanted, and where they go: a full row to `out`,
  // or the candidates of `query`.
  struct LogitsRow {
    int row;
    float* out;
    const CandidateQuery* query;
    CandidateLogits* candidates;
  };
  // One screened input's rows as the selections narrow them down.
  struct Narrowing {
    std::vector<int32_t> selected;  // ascending: every row the query needs among them
    std::vector<int32_t> refine;    // ascending: rows to refine next
  };
  // One exact logit of a candidate row.
  struct ExactLogit {
    const float* hn;
    int32_t id;
    float* out;
  };
  // A ternary matrix product of the step's quantized activations.
  struct Product {
    const TernaryWeights* weights;
    float* out;  // [rows of the step][weights->rows]
  };
  // Activations of one step, grown to the largest step seen.
  struct Buffers {
    std::vector<float> x;           // [rows][hidden] the residual stream
    std::vector<float> normed;      // [rows][n] a norm's output, n = hidden or ffn
    std::vector<int8_t> quantized;  // [rows][n] the same, quantized for BitLinear
    std::vector<float> scale;       // [rows]
    std::vector<int32_t> q_sum;     // [rows]
    std::vector<float> q, k, v;     // [rows][hidden], [rows][kv_dim], [rows][kv_dim]
    std::vector<float> attention;   // [rows][hidden] the heads' outputs
    std::vector<float> gate, up;    // [rows][ffn]
    std::vector<float> projected;   // [rows][hidden] outputs of W_o and W_down
    std::vector<float> scores;         // [tasks][context] attention scratch
    std::vector<float> probabilities;  // [rows of a batch][head][context]
    std::vector<float> head_input;  // [logits rows][hidden]
    std::vector<float> full_input;  // [full rows][hidden] those computed in full
    std::vector<float> logits;      // [full rows][vocab]
    std::vector<int8_t> screen_q;      // [logits rows][code_stride]
    std::vector<int8_t> screen_batch;  // [screened rows][code_stride]
    std::vector<int32_t> screen_acc;   // [screened rows][vocab]
    std::vector<double> lower, upper;  // [screened rows][vocab]
    std::vector<int32_t> fine_acc;     // per input, [vectors][its refined rows]
  };

  void CheckBatch(std::span<const SequenceBatch> batch) const;
  // Computes one step: the rows' tokens through every layer, then the head.
  void Step(std::span<const Row> rows, std::span<const LogitsRow> logits_rows);
  void Layer(int layer, std::span<const Row> rows);
  // RMSNorm of row r of `in` (n values per row) with weight w, quantized into
  // buffers_.quantized row r.
  void NormalizeAndQuantize(const float* in, const float* weight, int n, int r);
  // The products of several matrices with the same input, their row tiles
  // split among the threads together.
  void Multiply(int rows, int cols, std::initializer_list<Product> products);
  // RoPE on row r's q and k; q rounded to f16; k and v into the KV cache.
  void RotateAndCache(int layer, const Row& row, int r);
  // Attention in batches of rows whose probabilities fit kProbabilityFloats:
  // the probabilities of each (row, head), then the weighted sums of values,
  // each pass over a KV head's values serving the query heads that share it.
  // `first`: the index of rows[0] in the step's buffers.
  void Attention(int layer, std::span<const Row> rows);
  void AttentionProbabilities(int layer, std::span<const Row> rows, int first);
  void AttentionValues(int layer, std::span<const Row> rows, int first);
  void Head(std::span<const LogitsRow> logits_rows);
  // The head of rows `which` of logits_rows: every logit / only candidates.
  void FullHead(std::span<const LogitsRow> logits_rows, std::span<const int> which);
  void ScreenedHeadRows(std::span<const LogitsRow> logits_rows, std::span<const int> which);
  // The fine products of each screened input's narrowing_[i].refine rows and
  // their bounds from the full codes (which: as ScreenedHeadRows's).
  void Refine(std::span<const int> which);

  std::chrono::steady_clock::time_point construction_start_ = std::chrono::steady_clock::now();
  EngineOptions options_;  // checked
  gguf::File file_;
  BitnetModel model_;
  int context_length_;
  const kernels::Kernels& kernels_;
  kernels::TernaryLayout ternary_layout_;
  kernels::ThreadPool pool_;
  RopeTable rope_;        // set in the constructor's body, which is timed
  ModelWeights weights_;  //   step by step
  ScreenedHead screened_;  // empty when options_.screened_head is off
  LoadStats load_stats_;
  Buffers buffers_;
  std::vector<Row> rows_;
  std::vector<LogitsRow> logits_rows_;
  std::vector<std::optional<ScreenedHead::Input>> screen_inputs_;  // [logits rows]
  std::vector<int> full_rows_, screened_rows_;  // indices into logits rows
  std::vector<Narrowing> narrowing_;             // [screened rows]
  std::vector<ExactLogit> exact_logits_;
  HeadStats head_stats_;
};

}  // namespace bitbrain::runtime

#endif  // BITBRAIN_ENGINE_RUNTIME_ENGINE_H_
