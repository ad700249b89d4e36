#include "serve/scheduler.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "engine/chat/chat_format.h"
#include "engine/generate/generator.h"
#include "serve/token_choice.h"

namespace bitbrain::serve {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::seconds kRecentWindow(10);

int32_t EndOfTurn(const tokenizer::Tokenizer& tokenizer) {
  if (!tokenizer.special().eot) {
    throw std::invalid_argument("the vocabulary has no end-of-turn token (<|eot_id|>)");
  }
  return *tokenizer.special().eot;
}

}  // namespace

Scheduler::Scheduler(runtime::Engine& engine, const tokenizer::Tokenizer& tokenizer,
                     const SchedulerOptions& options)
    : engine_(engine),
      tokenizer_(tokenizer),
      options_(options),
      end_tokens_(chat::StopTokens(tokenizer)),
      end_of_turn_(EndOfTurn(tokenizer)) {
  if (options.parallel < 1) throw std::invalid_argument("parallel must be at least 1");
  if (options.queue_limit < 0) throw std::invalid_argument("queue_limit must be >= 0");
  for (int i = 0; i < options.parallel; ++i) slots_.emplace_back(engine.NewSequence());
  stats_.slots = options.parallel;
  stats_.kv_capacity = static_cast<int64_t>(options.parallel) * engine.context_length();
  thread_ = std::thread([this] { Run(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  for (Slot& slot : slots_) {
    if (slot.job) Fail(slot, "the server is shutting down");
  }
  for (const std::shared_ptr<Job>& job : queue_) {
    job->Publish([](JobProgress& progress) {
      progress.error = "the server is shutting down";
      progress.finished = true;
    });
  }
}

bool Scheduler::Submit(std::shared_ptr<Job> job) {
  {
    std::lock_guard lock(mutex_);
    // Jobs beyond the free slots wait; at most queue_limit of them.
    const int free_slots = options_.parallel - stats_.active;
    if (static_cast<int>(queue_.size()) >= options_.queue_limit + free_slots) return false;
    queue_.push_back(std::move(job));
    stats_.queued = static_cast<int>(queue_.size());
  }
  wake_.notify_all();
  return true;
}

SchedulerStats Scheduler::stats() const {
  std::lock_guard lock(mutex_);
  SchedulerStats stats = stats_;
  const Clock::time_point cutoff = Clock::now() - kRecentWindow;
  int generated = 0;
  for (const auto& [time, tokens] : recent_tokens_) generated += time >= cutoff ? tokens : 0;
  stats.recent_tokens_per_second =
      static_cast<double>(generated) / std::chrono::duration<double>(kRecentWindow).count();
  return stats;
}

void Scheduler::Run() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || stats_.active > 0; });
      if (stopping_) return;
    }
    Admit();
    DropCancelled();
    Step();
  }
}

void Scheduler::Admit() {
  std::lock_guard lock(mutex_);
  while (!queue_.empty()) {
    Slot* best = nullptr;
    size_t best_common = 0;
    const std::vector<int32_t>& prompt = queue_.front()->input().prompt;
    for (Slot& slot : slots_) {
      if (slot.job) continue;
      const size_t common = generate::CommonPrefixLength(slot.tokens, prompt);
      if (!best || common > best_common ||
          (common == best_common && slot.last_used < best->last_used)) {
        best = &slot;
        best_common = common;
      }
    }
    if (!best) break;
    std::shared_ptr<Job> job = std::move(queue_.front());
    queue_.pop_front();
    if (job->cancelled()) {
      ++stats_.jobs_cancelled;
      continue;
    }
    // At least the prompt's last token is fed again, for its logits.
    const size_t keep = std::min(best_common, prompt.size() - 1);
    best->sequence.Truncate(static_cast<int>(keep));
    best->tokens.resize(keep);
    best->job = std::move(job);
    best->last_used = ++clock_;
    best->usage = {.prompt_tokens = static_cast<int>(prompt.size()),
                   .cached_tokens = static_cast<int>(keep)};
    ++stats_.active;
  }
  stats_.queued = static_cast<int>(queue_.size());
}

void Scheduler::DropCancelled() {
  for (Slot& slot : slots_) {
    if (slot.job && slot.job->cancelled()) {
      {
        std::lock_guard lock(mutex_);
        ++stats_.jobs_cancelled;
      }
      Release(slot);
    }
  }
}

bool Scheduler::Prefilling(const Slot& slot) const {
  return slot.tokens.size() < slot.job->input().prompt.size();
}

void Scheduler::Step() {
  // Slots in the order their jobs joined, so that prefill goes first come,
  // first served.
  std::vector<Slot*> active;
  for (Slot& slot : slots_) {
    if (slot.job) active.push_back(&slot);
  }
  std::sort(active.begin(), active.end(),
            [](const Slot* a, const Slot* b) { return a->last_used < b->last_used; });

  const int vocab = engine_.config().vocab_size;
  int prefill_budget = engine_.prefill_chunk();
  std::vector<runtime::SequenceBatch> batch;
  std::vector<Slot*> stepped;
  for (Slot* slot : active) {
    const JobInput& input = slot->job->input();
    int logits_count = 1;
    slot->query.reset();
    if (Prefilling(*slot)) {
      const size_t remaining = input.prompt.size() - slot->tokens.size();
      const size_t count = std::min<size_t>(remaining, prefill_budget);
      if (count == 0) continue;
      prefill_budget -= static_cast<int>(count);
      slot->fed = std::span(input.prompt).subspan(slot->tokens.size(), count);
      logits_count = count == remaining ? 1 : 0;
      // The prompt's last chunk: its logits give the first generated token.
      if (count == remaining && input.continuations.empty()) {
        StartDecoding(*slot);
        slot->query = DecodingQuery(*slot);
      }
    } else if (slot->decoding) {
      slot->fed = std::span(&slot->decoding->next_token, 1);
      slot->query = DecodingQuery(*slot);
    } else {
      // The next continuation, right after the prompt.
      const size_t prompt_size = input.prompt.size();
      slot->sequence.Truncate(static_cast<int>(prompt_size));
      slot->tokens.resize(prompt_size);
      slot->fed = input.continuations[slot->continuation_logprobs.size()];
      logits_count = static_cast<int>(slot->fed.size());
    }
    if (slot->query) {
      batch.push_back({.sequence = &slot->sequence,
                       .tokens = slot->fed,
                       .query = &*slot->query,
                       .candidates = &slot->candidates});
    } else {
      slot->logits.resize(static_cast<size_t>(logits_count) * vocab);
      batch.push_back({.sequence = &slot->sequence,
                       .tokens = slot->fed,
                       .logits_count = logits_count,
                       .logits = slot->logits});
    }
    stepped.push_back(slot);
  }
  if (batch.empty()) return;

  try {
    engine_.Forward(batch);
  } catch (const std::exception& error) {
    for (Slot* slot : stepped) {
      // Forward checks before it changes anything, but leave nothing to chance.
      slot->sequence.Truncate(0);
      slot->tokens.clear();
      Fail(*slot, std::string("the engine failed: ") + error.what());
    }
    return;
  }
  int64_t positions = 0;
  for (const Slot& slot : slots_) positions += slot.sequence.position();
  {
    // Before AfterStep publishes the step's tokens: whoever sees them sees
    // the step in the figures too.
    std::lock_guard lock(mutex_);
    stats_.kv_positions = positions;
    stats_.head = engine_.head_stats();
  }
  for (Slot* slot : stepped) {
    slot->tokens.insert(slot->tokens.end(), slot->fed.begin(), slot->fed.end());
    AfterStep(*slot);
  }
}

void Scheduler::AfterStep(Slot& slot) {
  if (slot.decoding) return Decode(slot);  // set up with the prompt's last chunk
  if (Prefilling(slot)) return;  // more of the prompt next step
  // A classification.
  if (slot.prompt_logits.empty()) {
    slot.prompt_logits = std::move(slot.logits);  // the prompt just ended
    return;
  }
  ScoreContinuation(slot);
}

void Scheduler::StartDecoding(Slot& slot) {
  const JobInput& input = slot.job->input();
  slot.decoding.emplace(input.sampling, tokenizer_, input.stop_strings);
  if (input.json_schema) slot.decoding->constraint.emplace(*input.json_schema, Trie(), end_tokens_);
  for (const int32_t token : input.prompt) slot.decoding->sampler.Accept(token);
}

std::optional<runtime::CandidateQuery> Scheduler::DecodingQuery(Slot& slot) {
  // Logprobs need the full row. A JSON constraint's mask is known before the
  // step: the query's allowed set.
  if (slot.job->input().logprobs) return std::nullopt;
  Decoding& decoding = *slot.decoding;
  std::optional<runtime::CandidateQuery> query = decoding.sampler.Query();
  if (query && decoding.constraint) query->allowed = decoding.constraint->Allowed();
  return query;
}

const generate::VocabularyTrie& Scheduler::Trie() {
  if (!trie_) trie_ = std::make_unique<generate::VocabularyTrie>(tokenizer_);
  return *trie_;
}

void Scheduler::Decode(Slot& slot) {
  const JobInput& input = slot.job->input();
  Decoding& decoding = *slot.decoding;
  TokenChoice choice;
  try {
    generate::JsonConstraint* constraint = decoding.constraint ? &*decoding.constraint : nullptr;
    choice = slot.query ? ChooseToken(decoding.sampler, slot.candidates, constraint)
                        : ChooseToken(decoding.sampler, slot.logits, input.logprobs,
                                      input.top_logprobs, constraint);
  } catch (const std::exception& error) {
    return Fail(slot, std::string("cannot choose the next token: ") + error.what());
  }
  ++decoding.generated;
  {
    std::lock_guard lock(mutex_);
    const Clock::time_point now = Clock::now();
    recent_tokens_.emplace_back(now, 1);
    while (recent_tokens_.front().first < now - kRecentWindow) recent_tokens_.pop_front();
    ++stats_.generated_tokens;
  }
  if (std::find(end_tokens_.begin(), end_tokens_.end(), choice.token) != end_tokens_.end()) {
    return Finish(slot, generate::FinishReason::kStop);
  }
  std::string text = decoding.stop_strings.Push(decoding.decoder.Push(choice.token));
  slot.job->Publish([&](JobProgress& progress) {
    progress.text += text;
    if (input.logprobs) progress.logprobs.push_back(choice.logprob);
  });
  if (decoding.stop_strings.stopped()) return Finish(slot, generate::FinishReason::kStop);
  const bool limit = input.max_tokens >= 0 && decoding.generated >= input.max_tokens;
  if (limit || slot.sequence.position() >= slot.sequence.capacity()) {
    return Finish(slot, generate::FinishReason::kLength);
  }
  decoding.next_token = choice.token;
}

void Scheduler::ScoreContinuation(Slot& slot) {
  // log P(continuation, end of turn | prompt): the first token from the
  // prompt's logits, each next one (and the end of turn) from the logits
  // after the one before.
  const size_t vocab = engine_.config().vocab_size;
  const std::span<const float> logits(slot.logits);
  double sum = LogProbability(slot.prompt_logits, slot.fed[0]);
  for (size_t i = 0; i < slot.fed.size(); ++i) {
    const int32_t next = i + 1 < slot.fed.size() ? slot.fed[i + 1] : end_of_turn_;
    sum += LogProbability(logits.subspan(i * vocab, vocab), next);
  }
  slot.continuation_logprobs.push_back(sum);
  if (slot.continuation_logprobs.size() == slot.job->input().continuations.size()) {
    Finish(slot, generate::FinishReason::kStop);
  }
}

void Scheduler::Finish(Slot& slot, generate::FinishReason reason) {
  std::string rest;
  if (slot.decoding && !slot.decoding->stop_strings.stopped()) {
    Decoding& decoding = *slot.decoding;
    rest = decoding.stop_strings.Push(decoding.decoder.Finish()) + decoding.stop_strings.Finish();
  }
  slot.usage.completion_tokens = slot.decoding ? slot.decoding->generated : 0;
  slot.job->Publish([&](JobProgress& progress) {
    progress.text += rest;
    progress.finished = true;
    progress.finish_reason = reason;
    progress.usage = slot.usage;
    progress.continuation_logprobs = slot.continuation_logprobs;
  });
  {
    std::lock_guard lock(mutex_);
    ++stats_.jobs_finished;
    stats_.prompt_tokens += slot.usage.prompt_tokens;
    stats_.cached_tokens += slot.usage.cached_tokens;
  }
  Release(slot);
}

void Scheduler::Fail(Slot& slot, const std::string& message) {
  slot.job->Publish([&](JobProgress& progress) {
    progress.error = message;
    progress.finished = true;
  });
  Release(slot);
}

void Scheduler::Release(Slot& slot) {
  slot.job.reset();
  slot.decoding.reset();
  slot.prompt_logits.clear();
  slot.continuation_logprobs.clear();
  slot.last_used = ++clock_;
  std::lock_guard lock(mutex_);
  --stats_.active;
}

}  // namespace bitbrain::serve
