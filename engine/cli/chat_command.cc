// bitbrain chat [--model FILE] [--system TEXT] [sampling flags]: a
// conversation in the terminal. Each line read from stdin is a user turn;
// the reply streams to stdout. The whole history is the prompt of each
// turn, in the 2B4T chat format (every finished turn, the assistant's too,
// ends with <|eot_id|>); the positions the sequence already holds are
// reused, so only the new turn is fed. "/exit" or end of input ends it.
#include <unistd.h>

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

struct ChatOptions {
  ModelFlags model;
  std::string system;
  generate::GenerationOptions generation;
};

void Chat(const ChatOptions& options) {
  const std::unique_ptr<LoadedModel> model = LoadModel(options.model);
  generate::Generator generator(model->engine, model->tokenizer);
  runtime::Sequence sequence = model->engine.NewSequence();
  std::vector<int32_t> held;  // the tokens whose positions the sequence holds
  std::vector<chat::Message> history;
  if (!options.system.empty()) history.push_back({chat::Role::kSystem, options.system});

  const bool interactive = isatty(STDIN_FILENO);
  if (interactive) std::fprintf(stderr, "Type a message; /exit or end of input ends the chat.\n");
  std::string line;
  while (true) {
    if (interactive) std::cout << "> " << std::flush;
    if (!std::getline(std::cin, line) || line == "/exit") break;
    if (chat::StripWhitespace(line).empty()) continue;
    history.push_back({chat::Role::kUser, line});
    const std::vector<int32_t> prompt = chat::EncodeChat(model->tokenizer, history);
    sequence.Truncate(static_cast<int>(generate::CommonPrefixLength(held, prompt)));
    const generate::GenerationResult reply =
        generator.Generate(sequence, prompt, options.generation,
                           [](std::string_view text) { std::cout << text << std::flush; });
    std::cout << std::endl;
    history.push_back({chat::Role::kAssistant, reply.text});
    held = prompt;
    held.insert(held.end(), reply.tokens.begin(), reply.tokens.end() - (reply.tokens.empty() ? 0 : 1));
    held.resize(sequence.position());
  }
}

}  // namespace

void AddChatCommand(CLI::App& app) {
  auto options = std::make_shared<ChatOptions>();
  options->generation.max_tokens = 512;
  CLI::App* command = app.add_subcommand("chat", "Chat with a model in the terminal");
  AddModelFlags(*command, options->model);
  command->add_option("--system", options->system, "A system message to start with");
  command->add_option("-n,--n-predict", options->generation.max_tokens,
                      "Tokens per reply at most; -1: until the context is full")
      ->capture_default_str();
  AddSamplingFlags(*command, options->generation.sampling);
  command->callback([options] { Chat(*options); });
}

}  // namespace bitbrain::cli
