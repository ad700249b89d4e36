// bitbrain tokenize on the synthetic small model (the LLaMA-3 vocabulary).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/cli/commands.h"

namespace bitbrain::cli {
namespace {

const std::string kModel = "engine/synthetic/small.gguf";

// Runs `bitbrain tokenize ARGS...` and returns what it prints.
std::string TokenizeOutput(std::vector<std::string> args) {
  CLI::App app;
  AddTokenizeCommand(app);
  args.insert(args.begin(), "tokenize");
  std::ostringstream captured;
  std::streambuf* original = std::cout.rdbuf(captured.rdbuf());
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
  } catch (...) {
    std::cout.rdbuf(original);
    throw;
  }
  std::cout.rdbuf(original);
  return captured.str();
}

TEST_CASE("ids and pieces, BOS first") {
  CHECK(TokenizeOutput({"--model", kModel, "Hi there\n"}) ==
        "128000 -> '<|begin_of_text|>'\n"
        " 13347 -> 'Hi'\n"
        "  1070 -> ' there'\n"
        "   198 -> '\\n'\n");
}

TEST_CASE("pieces that are part of a character show their bytes") {
  CHECK(TokenizeOutput({"-m", kModel, "--no-bos", "\U0001F999"}) ==
        "  9468 -> '\\xF0\\x9F'\n"
        "    99 -> '\\xA6'\n"
        "   247 -> '\\x99'\n");
}

TEST_CASE("ids only, from a file") {
  const std::string path =
      std::filesystem::temp_directory_path() / ("tokenize_test_" + std::to_string(getpid()));
  std::ofstream(path, std::ios::binary) << "This is a test sentence.";
  const std::string out = TokenizeOutput({"--model", kModel, "--file", path, "--ids-only"});
  std::filesystem::remove(path);
  CHECK(out == "[128000, 2028, 374, 264, 1296, 11914, 13]\n");
}

TEST_CASE("text and file: exactly one") {
  CHECK_THROWS_WITH(TokenizeOutput({"--model", kModel}), Catch::Contains("give a TEXT or --file"));
  CHECK_THROWS_AS(TokenizeOutput({"--model", kModel, "--file", "x", "text"}), CLI::ParseError);
  CHECK_THROWS_WITH(TokenizeOutput({"--model", kModel, "--file", "/nonexistent/file"}),
                    Catch::Contains("cannot read /nonexistent/file"));
}

}  // namespace
}  // namespace bitbrain::cli
