// bitbrain: one binary, one subcommand per job (see commands.h).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include <CLI/CLI.hpp>

#include "engine/cli/commands.h"

int main(int argc, char** argv) {
  // Under `bazel run`, relative paths the user types (--out x.gguf, --model
  // y.gguf) mean the directory the command was typed in, not Bazel's.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir != nullptr && chdir(dir) != 0) {
    std::fprintf(stderr, "bitbrain: error: cannot enter %s\n", dir);
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
