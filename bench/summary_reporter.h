// A Google Benchmark reporter that passes every report on to the usual
// display reporter (console or JSON, per --benchmark_format) and, at the
// end, prints a compact table of the kernel benchmarks' counters: kernel,
// variant, shape, tokens, threads, time per call, GB/s, GMAC/s, % of the read
// bandwidth, % of the int8 peak, and the calling thread's CPU time as % of the
// wall time (which shows when other processes took a core). The table goes to stdout after console
// output and to stderr otherwise, so that JSON on stdout stays parseable.
#ifndef BITBRAIN_BENCH_SUMMARY_REPORTER_H_
#define BITBRAIN_BENCH_SUMMARY_REPORTER_H_

#include <benchmark/benchmark.h>

#include <memory>
#include <ostream>
#include <string_view>
#include <vector>

namespace bitbrain::bench {

class SummaryReporter : public benchmark::BenchmarkReporter {
 public:
  // format: "console" or "json" (--benchmark_format); throws
  // std::invalid_argument for anything else.
  explicit SummaryReporter(std::string_view format);

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> display_;
  std::ostream* table_stream_;
  std::vector<Run> runs_;
};

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_SUMMARY_REPORTER_H_
