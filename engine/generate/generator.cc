#include "engine/generate/generator.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include "engine/chat/chat_format.h"
#include "engine/generate/stop_strings.h"
#include "engine/tokenizer/stream_decoder.h"

namespace bitbrain::generate {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

const char* FinishReasonName(FinishReason reason) {
  return reason == FinishReason::kStop ? "stop" : "length";
}

size_t CommonPrefixLength(std::span<const int32_t> a, std::span<const int32_t> b) {
  return std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin();
}

double GenerationStats::prompt_tokens_per_second() const {
  return prompt_seconds > 0 ? prompt_tokens / prompt_seconds : 0;
}

double GenerationStats::generation_tokens_per_second() const {
  return generation_seconds > 0 ? (generated_tokens - 1) / generation_seconds : 0;
}

Generator::Generator(runtime::Engine& engine, const tokenizer::Tokenizer& tokenizer)
    : engine_(engine), tokenizer_(tokenizer), end_tokens_(chat::StopTokens(tokenizer)) {
  if (tokenizer.vocab_size() != engine.config().vocab_size) {
    throw std::invalid_argument("the tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                                " tokens but the model " +
                                std::to_string(engine.config().vocab_size));
  }
}

GenerationResult Generator::Generate(runtime::Sequence& sequence,
                                     std::span<const int32_t> prompt,
                                     const GenerationOptions& options,
                                     const std::function<void(std::string_view)>& on_text) {
  const Clock::time_point start = Clock::now();
  if (prompt.empty()) throw std::invalid_argument("the prompt is empty");
  if (static_cast<int>(prompt.size()) > sequence.capacity()) {
    throw std::invalid_argument("the prompt has " + std::to_string(prompt.size()) +
                                " tokens but the context holds " +
                                std::to_string(sequence.capacity()));
  }
  if (sequence.position() > static_cast<int>(prompt.size())) {
    throw std::invalid_argument("the sequence holds more tokens than the prompt");
  }
  // At least the prompt's last token is fed, for its logits.
  sequence.Truncate(std::min(sequence.position(), static_cast<int>(prompt.size()) - 1));

  Sampler sampler(options.sampling);
  for (const int32_t token : prompt) sampler.Accept(token);
  tokenizer::StreamDecoder decoder(tokenizer_);
  StopStrings stop_strings(options.stop_strings);
  GenerationResult result;
  const auto emit = [&](const std::string& text) {
    if (text.empty()) return;
    result.text += text;
    if (on_text) on_text(text);
  };

  // Each step feeds tokens and samples from the engine's answer: the
  // candidates the sampler's chain can reach when it says which those are
  // (the screened head), else the full row.
  std::vector<float> logits(engine_.config().vocab_size);
  runtime::CandidateLogits candidates;
  bool screened = false;  // whether the last feed wrote candidates or logits
  const auto feed = [&](std::span<const int32_t> tokens) {
    const std::optional<runtime::CandidateQuery> query = sampler.Query();
    screened = query.has_value();
    if (screened) {
      engine_.Forward(sequence, tokens, *query, candidates);
    } else {
      engine_.Forward(sequence, tokens, logits);
    }
  };
  const std::span<const int32_t> new_prompt = prompt.subspan(sequence.position());
  feed(new_prompt);
  result.stats.prompt_tokens = static_cast<int>(new_prompt.size());
  result.stats.prompt_seconds = SecondsSince(start);

  Clock::time_point first_token_time;
  while (true) {
    if (options.max_tokens >= 0 && static_cast<int>(result.tokens.size()) >= options.max_tokens) {
      result.finish_reason = FinishReason::kLength;
      break;
    }
    const int32_t token = screened ? sampler.Sample(candidates) : sampler.Sample(logits);
    sampler.Accept(token);
    result.tokens.push_back(token);
    if (result.tokens.size() == 1) {
      first_token_time = Clock::now();
      result.stats.time_to_first_token_seconds = SecondsSince(start);
    }
    if (std::find(end_tokens_.begin(), end_tokens_.end(), token) != end_tokens_.end()) {
      result.finish_reason = FinishReason::kStop;
      break;
    }
    emit(stop_strings.Push(decoder.Push(token)));
    if (stop_strings.stopped()) {
      result.finish_reason = FinishReason::kStop;
      break;
    }
    if (sequence.position() >= sequence.capacity()) {
      result.finish_reason = FinishReason::kLength;
      break;
    }
    feed(std::span<const int32_t>(&token, 1));
  }
  if (!stop_strings.stopped()) emit(stop_strings.Push(decoder.Finish()) + stop_strings.Finish());

  result.stats.generated_tokens = static_cast<int>(result.tokens.size());
  if (!result.tokens.empty()) result.stats.generation_seconds = SecondsSince(first_token_time);
  return result;
}

}  // namespace bitbrain::generate
