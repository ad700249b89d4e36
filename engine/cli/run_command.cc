// bitbrain run [--model FILE] --prompt TEXT [-n N] [--chat] [sampling flags]:
// generates a continuation of the prompt, streaming it to stdout as it
// comes, then prints prompt and generation speed and time to first token
// to stderr, as llama-cli does. The prompt is raw text after BOS, or with
// --chat one user message in the 2B4T chat format.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "engine/chat/chat_format.h"
#include "engine/cli/commands.h"
#include "engine/cli/model_flags.h"
#include "engine/generate/generator.h"

namespace bitbrain::cli {
namespace {

struct RunOptions {
  ModelFlags model;
  std::string prompt;
  bool chat = false;
  generate::GenerationOptions generation;
};

void Run(const RunOptions& options) {
  const std::unique_ptr<LoadedModel> model = LoadModel(options.model);
  std::vector<int32_t> prompt;
  if (options.chat) {
    const std::vector<chat::Message> messages = {{chat::Role::kUser, options.prompt}};
    prompt = chat::EncodeChat(model->tokenizer, messages);
  } else {
    prompt = {model->tokenizer.special().bos};
    const std::vector<int32_t> text = model->tokenizer.Encode(options.prompt);
    prompt.insert(prompt.end(), text.begin(), text.end());
  }
  generate::Generator generator(model->engine, model->tokenizer);
  runtime::Sequence sequence = model->engine.NewSequence();
  const generate::GenerationResult result =
      generator.Generate(sequence, prompt, options.generation,
                         [](std::string_view text) { std::cout << text << std::flush; });
  std::cout << std::endl;
  const generate::GenerationStats& stats = result.stats;
  std::fprintf(stderr,
               "prompt: %d tokens, %.2f tok/s | generation: %d tokens, %.2f tok/s | "
               "time to first token: %.1f ms | finish: %s\n",
               stats.prompt_tokens, stats.prompt_tokens_per_second(), stats.generated_tokens,
               stats.generation_tokens_per_second(), stats.time_to_first_token_seconds * 1000,
               generate::FinishReasonName(result.finish_reason));
}

}  // namespace

void AddRunCommand(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  options->generation.max_tokens = 128;
  CLI::App* command = app.add_subcommand("run", "Generate text from a prompt, streaming it");
  AddModelFlags(*command, options->model);
  command->add_option("--prompt,-p", options->prompt, "The prompt")->required();
  command->add_option("-n,--n-predict", options->generation.max_tokens,
                      "Tokens to generate at most; -1: until the context is full")
      ->capture_default_str();
  command->add_flag("--chat", options->chat, "Wrap the prompt as a user message of a chat");
  command->add_option("--stop", options->generation.stop_strings,
                      "Stop before this text (repeatable)");
  AddSamplingFlags(*command, options->generation.sampling);
  command->callback([options] { Run(*options); });
}

}  // namespace bitbrain::cli
