// How the tuner picks among measured candidates: the fastest, but a candidate
// other than the built-in default only when it beats the default by a clear
// margin. Medians of a few interleaved repetitions on a shared machine still
// differ by a few percent between equal candidates, and a value picked from
// that noise can be slower than the default on the workloads users run (one
// tuning run chose 16 tasks per thread for a 2-3% win on 8 decoded tokens;
// on 128 tokens it was 7% slower than the default 4).
#ifndef BITBRAIN_BENCH_TUNE_CHOICE_H_
#define BITBRAIN_BENCH_TUNE_CHOICE_H_

#include <cstddef>
#include <vector>

namespace bitbrain::bench {

// The fraction of the default's time a candidate must save to replace it.
inline constexpr double kTuneMargin = 0.03;

// The index of the chosen candidate among `seconds` (one median each, all
// positive): the fastest if it takes at most (1 - margin) of the default's
// (index `default_index`) time, else the default. Throws
// std::invalid_argument if default_index is out of range.
size_t ChooseCandidate(const std::vector<double>& seconds, size_t default_index,
                       double margin = kTuneMargin);

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_TUNE_CHOICE_H_
