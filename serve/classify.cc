#include "serve/classify.h"

#include <algorithm>
#include <set>

#include "engine/chat/chat_format.h"
#include "serve/api_error.h"
#include "serve/json_fields.h"
#include "serve/responses.h"

namespace bitbrain::serve {

using nlohmann::json;

ClassifyRequest ParseClassifyRequest(const json& body) {
  ClassifyRequest request;
  const std::optional<std::string> text = StringField(body, "text");
  if (!text) throw InvalidField("text", "'text' is required");
  request.text = *text;
  const json* labels = FindField(body, "labels");
  if (!labels || !labels->is_array() || labels->size() < 2 || labels->size() > 64) {
    throw InvalidField("labels", "'labels' must be an array of 2 to 64 strings");
  }
  std::set<std::string> seen;
  for (const json& label : *labels) {
    if (!label.is_string() || label.get<std::string>().empty()) {
      throw InvalidField("labels", "'labels' must hold non-empty strings");
    }
    if (!seen.insert(label.get<std::string>()).second) {
      throw InvalidField("labels", "'labels' must be distinct: '" + label.get<std::string>() +
                                       "' appears twice");
    }
    request.labels.push_back(label.get<std::string>());
  }
  std::string names;
  for (const std::string& label : request.labels) names += (names.empty() ? "" : ", ") + label;
  request.instruction = StringField(body, "instruction")
                            .value_or("Classify the user's text. Answer with exactly one of: " +
                                      names + ".");
  return request;
}

JobInput ClassifyJob(const ClassifyRequest& request, const tokenizer::Tokenizer& tokenizer) {
  const std::vector<chat::Message> messages = {{chat::Role::kSystem, request.instruction},
                                               {chat::Role::kUser, request.text}};
  JobInput input;
  input.prompt = chat::EncodeChat(tokenizer, messages);
  for (const std::string& label : request.labels) {
    input.continuations.push_back(tokenizer.Encode(label));
  }
  return input;
}

json ClassifyJson(const ClassifyRequest& request, const JobProgress& result) {
  const std::vector<double>& logprobs = result.continuation_logprobs;
  // The first best on ties: the order of the labels decides.
  const size_t best = std::max_element(logprobs.begin(), logprobs.end()) - logprobs.begin();
  json labels = json::array();
  for (size_t i = 0; i < request.labels.size(); ++i) {
    labels.push_back({{"label", request.labels[i]}, {"logprob", logprobs[i]}});
  }
  Usage usage = result.usage;
  return {{"object", "classification"},
          {"label", request.labels[best]},
          {"labels", std::move(labels)},
          {"usage", UsageJson(usage)}};
}

}  // namespace bitbrain::serve
