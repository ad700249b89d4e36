// bitbrain: one binary, one subcommand per job (see commands.h).
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "engine/cli/commands.h"
#include "engine/cli/working_directory.h"

int main(int argc, char** argv) {
  try {
    bitbrain::cli::EnterInvocationDirectory();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bitbrain: error: %s\n", e.what());
    return 1;
  }
  CLI::App app{"bitbrain: a CPU engine for ternary (BitNet b1.58) language models"};
  app.require_subcommand(1);
  bitbrain::cli::AddInspectCommand(app);
  bitbrain::cli::AddMakeModelCommand(app);
  bitbrain::cli::AddTokenizeCommand(app);
  bitbrain::cli::AddRunCommand(app);
  bitbrain::cli::AddChatCommand(app);
  bitbrain::cli::AddLogitsCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line and a non-zero exit, as for every other error.
    std::fprintf(stderr, "bitbrain: error: %s (see --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bitbrain: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
