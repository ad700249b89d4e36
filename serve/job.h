// One request as the scheduler runs it: its input (a prompt and how to
// continue it), and what it has produced so far, handed from the engine
// thread to the HTTP thread that answers the client.
#ifndef BITBRAIN_SERVE_JOB_H_
#define BITBRAIN_SERVE_JOB_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/generate/generator.h"
#include "engine/generate/json_schema.h"
#include "engine/generate/sampler.h"
#include "serve/token_choice.h"

namespace bitbrain::serve {

struct JobInput {
  std::vector<int32_t> prompt;  // not empty
  // A completion: how to generate.
  generate::SamplingParams sampling;
  int max_tokens = -1;  // < 0: until the context is full
  std::vector<std::string> stop_strings;
  bool logprobs = false;
  int top_logprobs = 0;
  // The reply must be a JSON document of this schema (null: any text).
  std::shared_ptr<const generate::JsonSchema> json_schema;
  // A classification: when not empty, nothing is generated; instead each
  // continuation's log-probability after the prompt is computed.
  std::vector<std::vector<int32_t>> continuations;
};

struct Usage {
  int prompt_tokens = 0;
  int cached_tokens = 0;  // prompt tokens whose KV came from the prompt cache
  int completion_tokens = 0;
};

// What a job has produced since the last Take() (text, logprobs), and its
// state (the rest).
struct JobProgress {
  std::string text;  // whole UTF-8 characters, never part of a stop string
  std::vector<TokenLogprob> logprobs;
  bool finished = false;
  generate::FinishReason finish_reason = generate::FinishReason::kLength;
  Usage usage;
  std::vector<double> continuation_logprobs;  // a classification's result
  std::optional<std::string> error;           // the job failed (it is finished)
};

class Job {
 public:
  explicit Job(JobInput input) : input_(std::move(input)) {}

  const JobInput& input() const { return input_; }

  // Asks the scheduler to stop the job and free its slot (the client left).
  void Cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

  // Waits up to `timeout` for news, then takes the new text and logprobs
  // and copies the state.
  JobProgress Take(std::chrono::milliseconds timeout);
  // Waits until the job has finished; returns everything.
  JobProgress TakeAll();

  // For the scheduler: changes the progress and wakes the waiting thread.
  void Publish(const std::function<void(JobProgress&)>& update);

 private:
  JobProgress TakeLocked();

  const JobInput input_;
  std::atomic<bool> cancelled_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  JobProgress progress_;  // guarded by mutex_
  bool news_ = false;     // guarded by mutex_
};

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_JOB_H_
