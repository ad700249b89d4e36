// The subcommands of the bitbrain binary. Each lives in its own file and
// registers itself on the top-level CLI11 app; its callback throws
// std::exception on failure, which main() turns into a one-line error.
#ifndef BITBRAIN_ENGINE_CLI_COMMANDS_H_
#define BITBRAIN_ENGINE_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace bitbrain::cli {

void AddInspectCommand(CLI::App& app);    // inspect_command.cc
void AddMakeModelCommand(CLI::App& app);  // make_model_command.cc
void AddTokenizeCommand(CLI::App& app);   // tokenize_command.cc
void AddRunCommand(CLI::App& app);        // run_command.cc
void AddChatCommand(CLI::App& app);       // chat_command.cc
void AddLogitsCommand(CLI::App& app);     // logits_command.cc

}  // namespace bitbrain::cli

#endif  // BITBRAIN_ENGINE_CLI_COMMANDS_H_
