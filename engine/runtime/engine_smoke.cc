// engine_smoke: loads a model and times what a user waits for: load to
// ready, the prefill of a prompt, then greedy decoding, one token per step;
// prints the resident memory at each stage. Decoding asks the engine for
// greedy candidates (the screened head; --no-screened-head: the full head),
// and prints the candidates per step, the bytes read per token and a hash of
// the tokens, which must not depend on the switch.
//
//   bazel run //engine/runtime:engine_smoke -- --model /tmp/2b4t.gguf --threads 2
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <numeric>
#include <string>
#include <vector>

#include "engine/runtime/engine.h"
#include "engine/runtime/memory.h"

namespace bitbrain::runtime {
namespace {

struct SmokeOptions {
  std::string model;
  int threads = 0;
  int context = 0;
  int chunk = EngineOptions().prefill_chunk;
  std::string isa;
  int prompt_tokens = 128;
  int decode_tokens = 64;
  bool screened_head = true;
};

// Wall-clock and process CPU time: on a shared machine the CPU time shows
// what the work costs when the wall clock also counts waiting for a core.
struct Timer {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  std::clock_t cpu = std::clock();

  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  }
  double CpuSeconds() const { return static_cast<double>(std::clock() - cpu) / CLOCKS_PER_SEC; }
};

double MiB(size_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

// Greedy choice: the highest logit, the lowest id on ties.
int32_t Argmax(const std::vector<float>& logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}
int32_t Argmax(const CandidateLogits& candidates) {  // ids ascending
  return candidates.ids[std::max_element(candidates.logits.begin(), candidates.logits.end()) -
                        candidates.logits.begin()];
}

void Run(const SmokeOptions& options) {
  EngineOptions engine_options = {.threads = options.threads,
                                  .context_length = options.context,
                                  .prefill_chunk = options.chunk,
                                  .screened_head = options.screened_head};
  if (!options.isa.empty()) {
    const std::optional<kernels::Isa> isa = kernels::ParseIsa(options.isa);
    if (!isa) throw std::invalid_argument("unknown --isa " + options.isa);
    engine_options.isa = *isa;
  }
  const Timer load_timer;
  Engine engine(options.model, engine_options);
  const double ready = load_timer.Seconds();
  const LoadStats& load = engine.load_stats();
  const ModelConfig& config = engine.config();
  std::printf("model %s: %d layers, hidden %d, vocab %d; kernels %s, %d threads, context %d\n",
              options.model.c_str(), config.block_count, config.embedding_length, config.vocab_size,
              kernels::IsaName(engine.isa()), engine.threads(), engine.context_length());
  std::printf(
      "load -> ready %.3f s, CPU %.3f s (map + check %.3f s, repack %.3f s of %.1f MiB, "
      "screening copy %.3f s of %.1f MiB); RSS %.1f MiB\n",
      ready, load_timer.CpuSeconds(), load.map_seconds, load.repack_seconds,
      MiB(load.repacked_bytes), load.screen_seconds, MiB(load.screen_bytes),
      MiB(ResidentBytes()));

  if (options.prompt_tokens + options.decode_tokens > engine.context_length()) {
    throw std::invalid_argument("--prompt-tokens + --decode-tokens exceed the context");
  }
  // A prompt of varied ordinary tokens (ids below 128000 are text in LLaMA-3).
  std::vector<int32_t> prompt(options.prompt_tokens);
  for (int i = 0; i < options.prompt_tokens; ++i) {
    prompt[i] = static_cast<int32_t>((i * 7919 + 13) % std::min(config.vocab_size, 128000));
  }
  Sequence sequence = engine.NewSequence();
  std::vector<float> logits(config.vocab_size);
  const Timer prefill_timer;
  engine.Forward(sequence, prompt, logits);
  const double prefill = prefill_timer.Seconds();
  std::printf("prefill %d tokens: %.3f s, %.2f tok/s, CPU %.3f s; RSS %.1f MiB\n",
              options.prompt_tokens, prefill, options.prompt_tokens / prefill,
              prefill_timer.CpuSeconds(), MiB(ResidentBytes()));

  int32_t next = Argmax(logits);
  const CandidateQuery greedy = {.k = 1};
  CandidateLogits candidates;
  std::vector<size_t> counts;  // candidates per step
  uint64_t token_hash = 0;     // FNV-1a of the decoded ids
  const Timer decode_timer;
  double first_token = 0;
  for (int i = 0; i < options.decode_tokens; ++i) {
    engine.Forward(sequence, {&next, 1}, greedy, candidates);
    if (i == 0) first_token = decode_timer.Seconds();
    next = Argmax(candidates);
    counts.push_back(candidates.ids.size());
    token_hash = (token_hash ^ static_cast<uint32_t>(next)) * 0x100000001b3ull;
  }
  const double decode = decode_timer.Seconds();
  std::printf("decode %d tokens: %.3f s, %.2f tok/s, CPU %.3f s (first step %.1f ms); "
              "token hash %016llx\n",
              options.decode_tokens, decode, options.decode_tokens / decode,
              decode_timer.CpuSeconds(), first_token * 1e3,
              static_cast<unsigned long long>(token_hash));
  if (!counts.empty()) {
    std::sort(counts.begin(), counts.end());
    const size_t median = counts[counts.size() / 2];
    const double row_bytes = 2.0 * config.embedding_length;
    const double head_bytes = options.screened_head
                                  ? engine.screened_head_bytes() + median * row_bytes
                                  : config.vocab_size * row_bytes;
    std::printf("head: %s, candidates per step median %zu, max %zu; bytes read per token: "
                "head %.1f MiB + ternary weights %.1f MiB = %.1f MiB\n",
                options.screened_head ? "screened" : "full", median, counts.back(),
                MiB(head_bytes), MiB(load.repacked_bytes), MiB(head_bytes + load.repacked_bytes));
  }
  std::printf("KV cache %.1f MiB at full context; RSS %.1f MiB, peak %.1f MiB\n",
              MiB(sequence.cache_bytes()), MiB(ResidentBytes()), MiB(PeakResidentBytes()));
}

}  // namespace
}  // namespace bitbrain::runtime

int main(int argc, char** argv) {
  bitbrain::runtime::SmokeOptions options;
  CLI::App app{"Times a model: load to ready, prefill and decode tok/s, resident memory"};
  app.add_option("--model", options.model, "GGUF model file")->required();
  app.add_option("--threads", options.threads, "Threads (0: every core)")->capture_default_str();
  app.add_option("--ctx", options.context, "Context length (0: the model's)")
      ->capture_default_str();
  app.add_option("--chunk", options.chunk, "Prefill chunk size")->capture_default_str();
  app.add_option("--isa", options.isa, "Kernel variant: scalar, avx2, avx512 (default: best)");
  app.add_option("--prompt-tokens", options.prompt_tokens, "Prompt length")->capture_default_str();
  app.add_option("--decode-tokens", options.decode_tokens, "Tokens to decode")
      ->capture_default_str();
  app.add_flag("!--no-screened-head", options.screened_head,
               "Decode with the full F16 head instead of the screened one");
  CLI11_PARSE(app, argc, argv);
  try {
    bitbrain::runtime::Run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "engine_smoke: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
