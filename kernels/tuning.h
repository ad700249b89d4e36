// Tuning: how the engine splits its matrix products among threads and which
// ternary weight layout it decodes from, measured for one CPU by
// `bazel run //bench:tune` and kept in a small text file that the engine reads
// at start. Tuning changes which thread computes which output rows, and how
// the same ternary values are stored, never how a row is computed, so results
// stay bit-exact.
//
// The file (comments start with '#'):
//
//   cpu AMD EPYC 7B13 64-Core Processor
//   prefill_chunk 64
//   split ternary 3840x2560 threads 2 tasks_per_thread 4
//   split head 128256x2560 threads 2 tasks_per_thread 8
//   layout threads 2 2bit
//
// A split line says how finely the engine cuts the rows of one parallel
// product (ThreadPool::ParallelRows: each chunk handed out takes 1 /
// (threads * tasks_per_thread) of the rows still left, at least a tile):
// `ternary` for the BitLinear products (rows = the output rows of the
// matrices multiplied together, e.g. Q, K and V), `head` for the LM head. A
// layout line names the ternary layout (kernels.h, TernaryLayout: 2bit or
// compact) that decoded fastest with that many threads: the compact one reads
// fewer bytes but costs more instructions, so which wins depends on the CPU's
// compute per byte of memory bandwidth. What the file does not name keeps the
// built-in default.
#ifndef BITBRAIN_KERNELS_TUNING_H_
#define BITBRAIN_KERNELS_TUNING_H_

#include <compare>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "kernels/kernels.h"
#include "kernels/thread_pool.h"

namespace bitbrain::kernels {

enum class SplitKind { kTernary, kHead };

struct SplitKey {
  SplitKind kind;
  int rows;
  int cols;
  int threads;
  auto operator<=>(const SplitKey&) const = default;
};

struct Tuning {
  std::string cpu;        // the CPU the values were measured on ("" = built-in defaults)
  int prefill_chunk = 0;  // 0: the engine's default
  std::map<SplitKey, int> tasks_per_thread;
  std::map<int, TernaryLayout> layout;  // by thread count

  int TasksPerThread(const SplitKey& key) const {
    const auto found = tasks_per_thread.find(key);
    return found == tasks_per_thread.end() ? kDefaultTasksPerThread : found->second;
  }
  std::optional<TernaryLayout> Layout(int threads) const {
    const auto found = layout.find(threads);
    if (found == layout.end()) return std::nullopt;
    return found->second;
  }
  bool operator==(const Tuning&) const = default;
};

// A malformed tuning file; what() names the line and what is wrong.
class TuningError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file format above, both ways. ParseTuning throws TuningError.
Tuning ParseTuning(std::string_view text);
std::string FormatTuning(const Tuning& tuning);

// This CPU's "model name" from /proc/cpuinfo ("unknown CPU" if unreadable).
std::string CpuModelName();

// $BITBRAIN_TUNING if set, else models/tuning.txt under the repository root
// ($BUILD_WORKSPACE_DIRECTORY under `bazel run`, else the current directory;
// the same git-ignored folder as the default model).
std::string DefaultTuningPath();

// The tuning in `path` if it exists and was measured on `cpu`; otherwise the
// built-in defaults, with the reason in *note ("" when the file was used).
// Throws TuningError for a malformed file.
Tuning LoadTuning(const std::string& path, const std::string& cpu, std::string* note);

}  // namespace bitbrain::kernels

#endif  // BITBRAIN_KERNELS_TUNING_H_
