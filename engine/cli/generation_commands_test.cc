// bitbrain run, chat and logits on the tiny synthetic model, called
// in-process with stdout (and stdin for chat) redirected.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "engine/cli/commands.h"

namespace bitbrain::cli {
namespace {

const std::string kModel = "engine/synthetic/tiny.gguf";

// Runs `bitbrain ARGS...` with `input` on std::cin; returns what it prints on std::cout.
std::string Output(std::vector<std::string> args, const std::string& input = "") {
  CLI::App app;
  AddRunCommand(app);
  AddChatCommand(app);
  AddLogitsCommand(app);
  std::ostringstream captured;
  std::istringstream in(input);
  std::streambuf* original_out = std::cout.rdbuf(captured.rdbuf());
  std::streambuf* original_in = std::cin.rdbuf(in.rdbuf());
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
  } catch (...) {
    std::cout.rdbuf(original_out);
    std::cin.rdbuf(original_in);
    throw;
  }
  std::cout.rdbuf(original_out);
  std::cin.rdbuf(original_in);
  return captured.str();
}

std::string TempPath(const std::string& name) {
  return std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()));
}

TEST_CASE("--no-screened-head: run gives the same text; chat and logits take the flag") {
  for (const char* temperature : {"0", "0.8"}) {
    std::vector<std::string> args = {"run", "-m", kModel, "-p", "The harbour", "-n", "24",
                                     "--temp", temperature, "--seed", "5", "-t", "1"};
    const std::string screened = Output(args);
    args.push_back("--no-screened-head");
    CHECK(Output(args) == screened);
  }
  CHECK_FALSE(Output({"chat", "-m", kModel, "-n", "4", "--no-screened-head"}, "hi\n").empty());
  const std::string out = TempPath("no_screened_logits.npy");
  Output({"logits", "-m", kModel, "-p", "x", "--out", out, "--no-screened-head"});
  CHECK(std::filesystem::exists(out));
  std::filesystem::remove(out);
}

TEST_CASE("run: greedy and seeded output is reproducible, across threads too") {
  const std::vector<std::string> greedy = {"run", "-m", kModel, "-p", "The harbour", "-n", "24",
                                           "--temp", "0", "-t", "1"};
  const std::string text = Output(greedy);
  CHECK(text.size() > 1);
  CHECK(text.back() == '\n');
  CHECK(Output(greedy) == text);
  std::vector<std::string> seeded = {"run", "-m", kModel, "-p", "The harbour", "-n", "24",
                                     "--temp", "1.0", "--seed", "99", "-t", "1"};
  const std::string sampled = Output(seeded);
  seeded.back() = "2";
  CHECK(Output(seeded) == sampled);
}

TEST_CASE("run: --chat and --stop") {
  const std::string text =
      Output({"run", "-m", kModel, "-p", "Hello", "--chat", "-n", "24", "--temp", "0"});
  REQUIRE(text.size() > 8);
  const std::string stop = text.substr(4, 2);
  CHECK(Output({"run", "-m", kModel, "-p", "Hello", "--chat", "-n", "24", "--temp", "0",
                "--stop", stop}) == text.substr(0, text.find(stop)) + "\n");
}

TEST_CASE("run: a prompt longer than the context is an error") {
  CHECK_THROWS_WITH(Output({"run", "-m", kModel, "--ctx", "4", "-p", "The harbour town woke slowly"}),
                    Catch::Contains("context holds 4"));
}

TEST_CASE("chat: one reply per line; the history is kept") {
  // The second reply follows from the first turn, so it differs from a
  // conversation that starts with the second line.
  const std::string two_turns =
      Output({"chat", "-m", kModel, "-n", "12", "--temp", "0"}, "Hello\nAnd then?\n/exit\nignored\n");
  const std::string second_alone =
      Output({"chat", "-m", kModel, "-n", "12", "--temp", "0"}, "And then?\n");
  const std::string first_alone =
      Output({"chat", "-m", kModel, "-n", "12", "--temp", "0"}, "Hello\n");
  CHECK(two_turns.rfind(first_alone, 0) == 0);
  CHECK(two_turns.size() > first_alone.size());
  CHECK(two_turns.substr(first_alone.size()) != second_alone);
}

// The .npy header and float data of `path`.
struct Npy {
  std::string header;
  std::vector<float> data;
};
Npy ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(bytes.size() >= 10);
  REQUIRE(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  const size_t length = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  REQUIRE((10 + length) % 64 == 0);
  Npy npy{bytes.substr(10, length), {}};
  npy.data.resize((bytes.size() - 10 - length) / sizeof(float));
  std::memcpy(npy.data.data(), bytes.data() + 10 + length, npy.data.size() * sizeof(float));
  return npy;
}

TEST_CASE("logits: .npy of the last position or of all of them") {
  const std::string last = TempPath("logits_last.npy");
  const std::string all = TempPath("logits_all.npy");
  Output({"logits", "-m", kModel, "-p", "The harbour", "--out", last});
  Output({"logits", "-m", kModel, "-p", "The harbour", "--out", all, "--all-positions"});
  const Npy last_npy = ReadNpy(last);
  const Npy all_npy = ReadNpy(all);
  CHECK(last_npy.header.back() == '\n');
  CHECK(last_npy.header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (768,), }", 0) == 0);
  REQUIRE(last_npy.data.size() == 768);
  REQUIRE(all_npy.data.size() % 768 == 0);
  const size_t positions = all_npy.data.size() / 768;
  CHECK(positions > 1);
  CHECK(all_npy.header.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                                 std::to_string(positions) + ", 768), }",
                             0) == 0);
  // The last row of all positions is the last position's logits, bit for bit.
  CHECK(std::memcmp(all_npy.data.data() + (positions - 1) * 768, last_npy.data.data(),
                    768 * sizeof(float)) == 0);
  // numpy reads it, where it is installed.
  if (std::system("python3 -c 'import numpy' 2>/dev/null") == 0) {
    const std::string check = "python3 -c \"import numpy; a = numpy.load('" + all +
                              "'); assert a.dtype == numpy.float32 and a.shape == (" +
                              std::to_string(positions) + ", 768)\"";
    CHECK(std::system(check.c_str()) == 0);
  }
  std::filesystem::remove(last);
  std::filesystem::remove(all);
}

TEST_CASE("a missing model file is an error naming it") {
  CHECK_THROWS_WITH(Output({"run", "-m", "no/such/model.gguf", "-p", "x"}),
                    Catch::Contains("no/such/model.gguf"));
  CHECK_THROWS(Output({"logits", "-m", kModel, "-p", "x", "--out", "x.npy", "--isa", "sse9"}));
}

}  // namespace
}  // namespace bitbrain::cli
