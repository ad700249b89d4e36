#include "bench/e2e_workloads.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <regex>
#include <span>
#include <stdexcept>

#include "engine/gguf/gguf.h"

namespace bitbrain::bench {
namespace {

// Varied ordinary tokens (ids below 128000 are text in LLaMA-3).
std::vector<int32_t> PromptTokens(int count, int vocab, int seed) {
  std::vector<int32_t> tokens(count);
  for (int i = 0; i < count; ++i) {
    tokens[i] = static_cast<int32_t>((int64_t{i} * 7919 + 13 + seed * 104729) % std::min(vocab, 128000));
  }
  return tokens;
}

// Greedy choice, as a generation loop would make it.
int32_t Argmax(const float* logits, int vocab) {
  return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
}

// Every token is chosen greedily, as the generator does it: each sequence
// asks for its best row only, which the screened head computes from a few
// exact rows (and, with EngineOptions::screened_head off, the full head from
// all of them).
const runtime::CandidateQuery kGreedy{.k = 1};

int32_t Best(const runtime::CandidateLogits& c) {
  return c.ids[Argmax(c.logits.data(), static_cast<int>(c.logits.size()))];
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::vector<Workload> StandardWorkloads() { return ParseWorkloads("pp128,tg128,pp512,b4-tg32,b8-tg32"); }

std::vector<Workload> ParseWorkloads(const std::string& names) {
  static const std::regex kPattern(R"((?:pp(\d+)|(?:b(\d+)-)?tg(\d+))(?:@d(\d+))?)");
  std::vector<Workload> workloads;
  for (size_t start = 0; start <= names.size();) {
    const size_t comma = std::min(names.find(',', start), names.size());
    const std::string name = names.substr(start, comma - start);
    start = comma + 1;
    std::smatch match;
    const auto positive = [&](int group) {
      const int value = std::stoi(match[group].str().substr(0, 6));
      if (value < 1) throw std::invalid_argument("workload '" + name + "': counts must be >= 1");
      return value;
    };
    if (!std::regex_match(name, match, kPattern)) {
      throw std::invalid_argument("unknown workload '" + name +
                                  "' (ppN, tgN or bS-tgN, optionally @dD: e.g. pp128,tg128,b4-tg32,tg32@d1024)");
    }
    Workload workload{.name = name, .depth = match[4].matched ? positive(4) : 0};
    if (match[1].matched) {
      workload.prompt_tokens = positive(1);
    } else {
      workload.steps = positive(3);
      workload.sequences = match[2].matched ? positive(2) : 1;
    }
    workloads.push_back(workload);
  }
  return workloads;
}

double ModelTraffic::DecodeBytesPerToken(const Workload& workload) const {
  // Step s (0-based) of a sequence attends over its context and s + 1 more.
  const double mean_positions = workload.context_tokens() + (workload.steps + 1) / 2.0;
  return weight_bytes_per_step / workload.sequences + kv_bytes_per_position * mean_positions;
}

double ModelTraffic::PrefillMacs(const Workload& workload) const {
  return ternary_macs_per_token * workload.prompt_tokens + head_macs_per_logits_row;
}

ModelTraffic MeasureTraffic(const std::string& model_path, const runtime::Engine& engine) {
  const gguf::File file = gguf::File::Open(model_path);
  const ModelConfig& c = engine.config();
  ModelTraffic traffic;
  // The ternary matrices as the engine streams them (its packed layout)...
  traffic.weight_bytes_per_step = static_cast<double>(engine.load_stats().repacked_bytes);
  // ...the norm weights (F32), and the LM head: the output tensor, or the
  // token embeddings when tied (of which a step otherwise reads one row).
  const gguf::TensorInfo* output = file.FindTensor("output.weight");
  for (const gguf::TensorInfo& tensor : file.tensors()) {
    if (tensor.type == gguf::TensorType::kF32) traffic.weight_bytes_per_step += tensor.n_bytes;
  }
  const gguf::TensorInfo* head = output != nullptr ? output : file.FindTensor("token_embd.weight");
  if (head == nullptr) throw std::runtime_error(model_path + ": no LM head tensor");
  // With the screened head, a greedy step reads the screening copy's 6-bit
  // plane instead, plus the 2-bit plane of the rows it refines and the F16
  // rows it computes exactly (not counted: for a greedy step of the
  // 2B4T-shaped model ~2,300 rows of 640 bytes and ~60 of 5 KB, 1.8 MB, 0.3%).
  traffic.weight_bytes_per_step += engine.screened_head_bytes() > 0
                                       ? static_cast<double>(engine.screened_head_bytes())
                                       : static_cast<double>(head->n_bytes);
  // Keys and values are f16: per layer and KV head, head_dim of each.
  traffic.kv_bytes_per_position = 2.0 * 2 * c.block_count * c.head_count_kv * c.head_dim;
  for (const kernels::SplitKey& split : runtime::ParallelSplits(c, 1)) {
    const double macs = static_cast<double>(split.rows) * split.cols;
    if (split.kind == kernels::SplitKind::kTernary) {
      traffic.ternary_macs_per_token += macs * c.block_count;
    } else {
      traffic.head_macs_per_logits_row += macs;
    }
  }
  return traffic;
}

int32_t PrefillGreedy(runtime::Engine& engine, runtime::Sequence& sequence, int tokens, int seed) {
  runtime::CandidateLogits candidates;
  engine.Forward(sequence, PromptTokens(tokens, engine.config().vocab_size, seed), kGreedy, candidates);
  return Best(candidates);
}

void DecodeGreedy(runtime::Engine& engine, std::span<runtime::Sequence> sequences,
                  std::span<int32_t> next, int steps) {
  std::vector<runtime::CandidateLogits> candidates(sequences.size());
  std::vector<runtime::SequenceBatch> batch(sequences.size());
  for (int step = 0; step < steps; ++step) {
    for (size_t s = 0; s < sequences.size(); ++s) {
      batch[s] = {.sequence = &sequences[s],
                  .tokens = {&next[s], 1},
                  .query = &kGreedy,
                  .candidates = &candidates[s]};
    }
    engine.Forward(batch);
    for (size_t s = 0; s < sequences.size(); ++s) next[s] = Best(candidates[s]);
  }
}

double RunWorkload(runtime::Engine& engine, const Workload& workload) {
  std::vector<runtime::Sequence> sequences;
  for (int s = 0; s < workload.sequences; ++s) sequences.push_back(engine.NewSequence());
  if (workload.is_prefill()) {
    // The context (if any) untimed, then the prompt after it.
    const std::vector<int32_t> tokens =
        PromptTokens(workload.positions(), engine.config().vocab_size, 0);
    const std::span<const int32_t> context(tokens.data(), workload.context_tokens());
    if (!context.empty()) engine.Forward(sequences[0], context, std::span<float>());
    runtime::CandidateLogits candidates;
    const auto start = std::chrono::steady_clock::now();
    engine.Forward(sequences[0], std::span(tokens).subspan(context.size()), kGreedy, candidates);
    return Seconds(start);
  }
  // Each sequence's context untimed, then greedy steps for all of them at once.
  std::vector<int32_t> next(workload.sequences);
  for (int s = 0; s < workload.sequences; ++s) {
    next[s] = PrefillGreedy(engine, sequences[s], workload.context_tokens(), s);
  }
  const auto start = std::chrono::steady_clock::now();
  DecodeGreedy(engine, sequences, next, workload.steps);
  return Seconds(start);
}

}  // namespace bitbrain::bench
