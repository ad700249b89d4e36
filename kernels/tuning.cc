#include "kernels/tuning.h"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace bitbrain::kernels {
namespace {

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> words;
  for (size_t i = 0; i < s.size();) {
    const size_t begin = s.find_first_not_of(" \t", i);
    if (begin == std::string_view::npos) break;
    const size_t end = std::min(s.find_first_of(" \t", begin), s.size());
    words.push_back(s.substr(begin, end - begin));
    i = end;
  }
  return words;
}

// Parses a line's words; every failure names the line.
class LineParser {
 public:
  LineParser(int number, std::string_view line) : number_(number), line_(line) {}

  [[noreturn]] void Fail(const std::string& what) const {
    throw TuningError("tuning file line " + std::to_string(number_) + " ('" + std::string(line_) +
                      "'): " + what);
  }

  int Positive(std::string_view word) const {
    int value = 0;
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (word.empty() || error != std::errc() || end != word.data() + word.size() || value < 1) {
      Fail("'" + std::string(word) + "' is not a positive integer");
    }
    return value;
  }

  // "3840x2560" -> rows, cols.
  std::pair<int, int> Shape(std::string_view word) const {
    const size_t x = word.find('x');
    if (x == std::string_view::npos) Fail("'" + std::string(word) + "' is not ROWSxCOLS");
    return {Positive(word.substr(0, x)), Positive(word.substr(x + 1))};
  }

 private:
  int number_;
  std::string_view line_;
};

const char* KindName(SplitKind kind) { return kind == SplitKind::kTernary ? "ternary" : "head"; }

}  // namespace

Tuning ParseTuning(std::string_view text) {
  Tuning tuning;
  int number = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = Trim(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (line.empty() || line.front() == '#') continue;
    const LineParser parser(number, line);
    const std::vector<std::string_view> words = Words(line);
    if (words[0] == "cpu") {
      if (words.size() < 2) parser.Fail("the CPU model name is missing");
      tuning.cpu = std::string(Trim(line.substr(3)));
    } else if (words[0] == "prefill_chunk") {
      if (words.size() != 2) parser.Fail("expected 'prefill_chunk N'");
      tuning.prefill_chunk = parser.Positive(words[1]);
    } else if (words[0] == "split") {
      if (words.size() != 7 || words[3] != "threads" || words[5] != "tasks_per_thread") {
        parser.Fail("expected 'split ternary|head ROWSxCOLS threads N tasks_per_thread N'");
      }
      SplitKind kind;
      if (words[1] == "ternary") {
        kind = SplitKind::kTernary;
      } else if (words[1] == "head") {
        kind = SplitKind::kHead;
      } else {
        parser.Fail("unknown split '" + std::string(words[1]) + "' (ternary or head)");
      }
      const auto [rows, cols] = parser.Shape(words[2]);
      const SplitKey key = {kind, rows, cols, parser.Positive(words[4])};
      if (!tuning.tasks_per_thread.emplace(key, parser.Positive(words[6])).second) {
        parser.Fail("this split is already given on an earlier line");
      }
    } else if (words[0] == "layout") {
      if (words.size() != 4 || words[1] != "threads") {
        parser.Fail("expected 'layout threads N 2bit|compact'");
      }
      const std::optional<TernaryLayout> layout = ParseTernaryLayout(words[3]);
      if (!layout) parser.Fail("unknown layout '" + std::string(words[3]) + "' (2bit or compact)");
      if (!tuning.layout.emplace(parser.Positive(words[2]), *layout).second) {
        parser.Fail("this thread count's layout is already given on an earlier line");
      }
    } else {
      parser.Fail("unknown key '" + std::string(words[0]) + "' (cpu, prefill_chunk, split, layout)");
    }
  }
  if (tuning.cpu.empty() &&
      (tuning.prefill_chunk != 0 || !tuning.tasks_per_thread.empty() || !tuning.layout.empty())) {
    throw TuningError("tuning file: no 'cpu' line says which CPU the values are for");
  }
  return tuning;
}

std::string FormatTuning(const Tuning& tuning) {
  std::ostringstream out;
  out << "# bitbrain tuning, written by `bazel run //bench:tune` (kernels/tuning.h)\n";
  out << "cpu " << tuning.cpu << "\n";
  if (tuning.prefill_chunk > 0) out << "prefill_chunk " << tuning.prefill_chunk << "\n";
  for (const auto& [key, tasks] : tuning.tasks_per_thread) {
    out << "split " << KindName(key.kind) << " " << key.rows << "x" << key.cols << " threads "
        << key.threads << " tasks_per_thread " << tasks << "\n";
  }
  for (const auto& [threads, layout] : tuning.layout) {
    out << "layout threads " << threads << " " << TernaryLayoutName(layout) << "\n";
  }
  return out.str();
}

std::string CpuModelName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return std::string(Trim(std::string_view(line).substr(colon + 1)));
    }
  }
  return "unknown CPU";
}

std::string DefaultTuningPath() {
  if (const char* path = std::getenv("BITBRAIN_TUNING"); path != nullptr && *path != '\0') return path;
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  return (std::filesystem::path(workspace != nullptr ? workspace : ".") / "models" / "tuning.txt").string();
}

Tuning LoadTuning(const std::string& path, const std::string& cpu, std::string* note) {
  note->clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *note = "no tuning file " + path + ": built-in defaults";
    return {};
  }
  std::ostringstream text;
  text << in.rdbuf();
  Tuning tuning;
  try {
    tuning = ParseTuning(text.str());
  } catch (const TuningError& e) {
    throw TuningError(path + ": " + e.what());
  }
  if (tuning.cpu != cpu) {
    *note = "tuning file " + path + " is for '" + tuning.cpu + "', not this CPU ('" + cpu +
            "'): built-in defaults";
    return {};
  }
  return tuning;
}

}  // namespace bitbrain::kernels
