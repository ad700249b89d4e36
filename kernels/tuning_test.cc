#include "kernels/tuning.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace bitbrain::kernels {
namespace {

constexpr const char* kText =
    "# a comment\n"
    "cpu AMD EPYC 7B13 64-Core Processor\n"
    "\n"
    "prefill_chunk 128\n"
    "split ternary 3840x2560 threads 2 tasks_per_thread 8\n"
    "  split head 128256x2560 threads 2 tasks_per_thread 2  \n"
    "layout threads 1 compact\n"
    "layout threads 2 2bit\n";

TEST_CASE("a tuning file is parsed, looked up and written back") {
  const Tuning tuning = ParseTuning(kText);
  CHECK(tuning.cpu == "AMD EPYC 7B13 64-Core Processor");
  CHECK(tuning.prefill_chunk == 128);
  CHECK(tuning.TasksPerThread({SplitKind::kTernary, 3840, 2560, 2}) == 8);
  CHECK(tuning.TasksPerThread({SplitKind::kHead, 128256, 2560, 2}) == 2);
  // Not in the file: the default.
  CHECK(tuning.TasksPerThread({SplitKind::kTernary, 3840, 2560, 1}) == kDefaultTasksPerThread);
  CHECK(tuning.TasksPerThread({SplitKind::kHead, 3840, 2560, 2}) == kDefaultTasksPerThread);
  CHECK(tuning.Layout(1) == TernaryLayout::kCompact);
  CHECK(tuning.Layout(2) == TernaryLayout::kTwoBit);
  CHECK(tuning.Layout(3) == std::nullopt);
  CHECK(ParseTuning(FormatTuning(tuning)) == tuning);
}

TEST_CASE("an empty file is the built-in defaults") { CHECK(ParseTuning("# nothing\n\n") == Tuning{}); }

TEST_CASE("a malformed tuning file is an error naming the line") {
  const auto error_of = [](const std::string& text) {
    try {
      ParseTuning(text);
    } catch (const TuningError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(error_of("cpu X\nprefill_chunk 0\n"), Contains("line 2") && Contains("positive"));
  CHECK_THAT(error_of("cpu X\nprefill_chunk\n"), Contains("line 2"));
  CHECK_THAT(error_of("cpu X\nsplit ternary 3840x threads 2 tasks_per_thread 4\n"),
             Contains("line 2") && Contains("positive"));
  CHECK_THAT(error_of("cpu X\nsplit ternary 3840 threads 2 tasks_per_thread 4\n"),
             Contains("ROWSxCOLS"));
  CHECK_THAT(error_of("cpu X\nsplit gemm 3840x2560 threads 2 tasks_per_thread 4\n"),
             Contains("unknown split"));
  CHECK_THAT(error_of("cpu X\nsplit head 1x2 threads 2 tasks_per_thread 99999999999\n"),
             Contains("positive"));
  CHECK_THAT(error_of("cpu X\nsplit head 1x2 threads 2 tasks_per_thread 4\n"
                      "split head 1x2 threads 2 tasks_per_thread 5\n"),
             Contains("line 3") && Contains("already"));
  CHECK_THAT(error_of("cpu X\nlayout threads 2 base3\n"), Contains("unknown layout"));
  CHECK_THAT(error_of("cpu X\nlayout 2 2bit\n"), Contains("expected 'layout threads N"));
  CHECK_THAT(error_of("cpu X\nlayout threads 0 2bit\n"), Contains("positive"));
  CHECK_THAT(error_of("cpu X\nlayout threads 2 2bit\nlayout threads 2 compact\n"),
             Contains("line 3") && Contains("already"));
  CHECK_THAT(error_of("layout threads 2 2bit\n"), Contains("no 'cpu' line"));
  CHECK_THAT(error_of("cpu X\nthreads 4\n"), Contains("unknown key"));
  CHECK_THAT(error_of("cpu\n"), Contains("CPU model name"));
  CHECK_THAT(error_of("prefill_chunk 64\n"), Contains("no 'cpu' line"));
}

TEST_CASE("LoadTuning falls back to the defaults when the file is absent or for another CPU") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "bitbrain_tuning_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "tuning.txt").string();
  std::filesystem::remove(path);
  std::string note;

  CHECK(LoadTuning(path, "CPU A", &note) == Tuning{});
  CHECK_THAT(note, Catch::Matchers::Contains("no tuning file"));

  std::ofstream(path) << "cpu CPU A\nprefill_chunk 32\n";
  CHECK(LoadTuning(path, "CPU A", &note).prefill_chunk == 32);
  CHECK(note.empty());
  CHECK(LoadTuning(path, "CPU B", &note) == Tuning{});
  CHECK_THAT(note, Catch::Matchers::Contains("not this CPU"));

  std::ofstream(path) << "cpu CPU A\nprefill_chunk many\n";
  CHECK_THROWS_AS(LoadTuning(path, "CPU A", &note), TuningError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("CpuModelName reads a name") { CHECK_FALSE(CpuModelName().empty()); }

}  // namespace
}  // namespace bitbrain::kernels
