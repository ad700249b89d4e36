// One engine, many requests: continuous batching with a prompt cache.
//
// Jobs wait in a bounded queue; one engine thread runs up to `parallel` of
// them in slots. Each step is ONE batched Engine::Forward over every active
// slot: a decoding slot feeds its last sampled token, a prefilling slot the
// next piece of its prompt (all prefilling slots together at most
// prefill_chunk tokens, so a long prompt delays the others' next token by
// about one chunk, never by the whole prompt), a classifying slot one whole
// candidate continuation. Queued jobs join between steps.
//
// Slots keep their sequence's tokens after a job ends: a new job takes the
// free slot whose tokens share the longest prefix with its prompt and feeds
// only the rest (usage.cached_tokens). The engine's logits do not depend on
// the batch or the chunking, so neither batching nor caching changes a
// job's output.
#ifndef BITBRAIN_SERVE_SCHEDULER_H_
#define BITBRAIN_SERVE_SCHEDULER_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "engine/generate/json_constraint.h"
#include "engine/generate/sampler.h"
#include "engine/generate/stop_strings.h"
#include "engine/runtime/engine.h"
#include "engine/tokenizer/stream_decoder.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/job.h"

namespace bitbrain::serve {

struct SchedulerOptions {
  int parallel = 4;      // slots: sequences decoded together
  int queue_limit = 16;  // jobs waiting for a busy slot; Submit refuses more
};

// Counters since start and current gauges.
struct SchedulerStats {
  int queued = 0;
  int active = 0;
  int slots = 0;
  int64_t kv_positions = 0;  // positions held by all slots' sequences
  int64_t kv_capacity = 0;   // slots x context length
  int64_t jobs_finished = 0;
  int64_t jobs_cancelled = 0;
  int64_t prompt_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t generated_tokens = 0;
  double recent_tokens_per_second = 0;  // generated, over the last 10 seconds
  runtime::HeadStats head;  // the engine's LM head, as of the last step
};

class Scheduler {
 public:
  // The engine and tokenizer must outlive the scheduler. Starts the engine
  // thread. Throws std::invalid_argument for bad options.
  Scheduler(runtime::Engine& engine, const tokenizer::Tokenizer& tokenizer,
            const SchedulerOptions& options);
  ~Scheduler();  // stops the engine thread; unfinished jobs fail
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a job; false if the queue is full. The job's prompt must fit in
  // the context (with max_tokens, if set) and its tokens be in the vocabulary.
  bool Submit(std::shared_ptr<Job> job);

  SchedulerStats stats() const;

 private:
  // A job's generation state once its prompt is in.
  struct Decoding {
    Decoding(const generate::SamplingParams& params, const tokenizer::Tokenizer& tokenizer,
             const std::vector<std::string>& stop_strings)
        : sampler(params), decoder(tokenizer), stop_strings(stop_strings) {}
    generate::Sampler sampler;
    tokenizer::StreamDecoder decoder;
    generate::StopStrings stop_strings;
    std::optional<generate::JsonConstraint> constraint;  // response_format JSON
    int generated = 0;
    int32_t next_token = 0;  // sampled, to be fed in the next step
  };

  struct Slot {
    explicit Slot(runtime::Sequence s) : sequence(std::move(s)) {}
    runtime::Sequence sequence;
    std::vector<int32_t> tokens;  // what the sequence holds, for the prompt cache
    uint64_t last_used = 0;       // when a job last left (or joined) it
    std::shared_ptr<Job> job;     // null: free
    Usage usage;
    std::optional<Decoding> decoding;      // a completion past its prompt
    std::vector<float> prompt_logits;      // a classification: after the prompt
    std::vector<double> continuation_logprobs;
    std::vector<float> logits;             // this step's rows
    std::span<const int32_t> fed;          // this step's tokens
    // A decoding step whose sampler needs only some rows (no logprobs asked):
    // the screened head's exact logits of those rows instead of `logits`.
    // Its allowed set, with a JSON constraint, is the constraint's Allowed():
    // valid until the step's token is accepted.
    std::optional<runtime::CandidateQuery> query;
    runtime::CandidateLogits candidates;
  };

  void Run();
  // Moves queued jobs into free slots, each into the one caching most of its
  // prompt.
  void Admit();
  void DropCancelled();
  void Step();
  // After a step: the slot's fed tokens are in its sequence; use its logits.
  void AfterStep(Slot& slot);
  // Sets up the slot's sampling as its prompt's last chunk is fed.
  void StartDecoding(Slot& slot);
  // The rows the slot's next token can come from, or nullopt for the full row.
  std::optional<runtime::CandidateQuery> DecodingQuery(Slot& slot);
  // Samples and publishes a token from the slot's logits; may finish the job.
  void Decode(Slot& slot);
  void ScoreContinuation(Slot& slot);
  void Finish(Slot& slot, generate::FinishReason reason);
  void Fail(Slot& slot, const std::string& message);
  void Release(Slot& slot);
  bool Prefilling(const Slot& slot) const;
  // The vocabulary's trie, built when the first JSON-constrained job needs it.
  const generate::VocabularyTrie& Trie();

  runtime::Engine& engine_;
  const tokenizer::Tokenizer& tokenizer_;
  const SchedulerOptions options_;
  const std::vector<int32_t> end_tokens_;  // end of text, end of turn
  const int32_t end_of_turn_;

  std::vector<Slot> slots_;  // engine thread only
  std::unique_ptr<generate::VocabularyTrie> trie_;  // engine thread only
  uint64_t clock_ = 0;       // engine thread only: orders last_used

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                   // guarded by mutex_
  SchedulerStats stats_;                    // guarded by mutex_
  std::deque<std::pair<std::chrono::steady_clock::time_point, int>> recent_tokens_;  // mutex_

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_SCHEDULER_H_
