#include "bench/summary_reporter.h"

#include <cstdio>
#include <iostream>
#include <set>
#include <stdexcept>
#include <string>

#include "bench/case_label.h"
#include "bench/counters.h"

namespace bitbrain::bench {
namespace {

std::unique_ptr<benchmark::BenchmarkReporter> MakeDisplayReporter(std::string_view format) {
  if (format == "console") return std::make_unique<benchmark::ConsoleReporter>();
  if (format == "json") return std::make_unique<benchmark::JSONReporter>();
  // CSV is deprecated in Google Benchmark and not offered here.
  throw std::invalid_argument("unsupported --benchmark_format '" + std::string(format) + "' (console or json)");
}

// A counter's value, or a negative number if the run does not have it.
double CounterOr(const benchmark::BenchmarkReporter::Run& run, const char* name) {
  const auto it = run.counters.find(name);
  return it == run.counters.end() ? -1 : it->second.value;
}

// "%.*f" of value / unit, or "-" for a missing counter.
std::string Cell(double value, double unit, int decimals) {
  if (value < 0) return "-";
  char text[32];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value / unit);
  return text;
}

}  // namespace

SummaryReporter::SummaryReporter(std::string_view format)
    : display_(MakeDisplayReporter(format)), table_stream_(format == "console" ? &std::cout : &std::cerr) {}

bool SummaryReporter::ReportContext(const Context& context) { return display_->ReportContext(context); }

void SummaryReporter::ReportRuns(const std::vector<Run>& runs) {
  display_->ReportRuns(runs);
  runs_.insert(runs_.end(), runs.begin(), runs.end());
}

void SummaryReporter::Finalize() {
  display_->Finalize();
  // With --benchmark_repetitions the median stands for its repetitions (which
  // are reported before it, each on its own).
  std::set<std::string> has_median;
  for (const Run& run : runs_) {
    if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") has_median.insert(run.run_name.function_name);
  }
  std::vector<const Run*> rows;
  for (const Run& run : runs_) {
    const bool is_median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
    const bool is_single = run.run_type == Run::RT_Iteration && has_median.count(run.run_name.function_name) == 0;
    if (run.error_occurred || is_median || is_single) rows.push_back(&run);
  }
  if (rows.empty()) return;
  std::ostream& out = *table_stream_;
  char line[256];
  std::snprintf(line, sizeof(line), "\n%-20s %-7s %-12s %4s %3s %12s %8s %8s %6s %6s %5s\n", "kernel", "variant",
                "shape", "tok", "thr", "us/call", "GB/s", "GMAC/s", "%bw", "%peak", "%cpu");
  out << line;
  for (const Run* row : rows) {
    const Run& run = *row;
    const std::optional<CaseLabel> label = ParseCaseName(run.run_name.function_name);
    if (!label) continue;  // not one of ours
    if (run.error_occurred) {
      std::snprintf(line, sizeof(line), "%-20s %-7s %-12s %4d %3d  %s\n", label->kernel.c_str(), label->variant.c_str(),
                    label->shape.c_str(), label->tokens, label->threads, run.error_message.c_str());
      out << line;
      continue;
    }
    const double seconds = run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
    // The calling thread runs or spin-waits for the whole call, so its CPU
    // time falls short of the wall time only while it waits for a core.
    const double cpu_share = run.GetAdjustedCPUTime() / run.GetAdjustedRealTime();
    std::snprintf(line, sizeof(line), "%-20s %-7s %-12s %4d %3d %12.1f %8s %8s %6s %6s %5.0f\n",
                  label->kernel.c_str(), label->variant.c_str(), label->shape.c_str(), label->tokens, label->threads,
                  seconds * 1e6, Cell(CounterOr(run, kBytesCounter), 1e9, 2).c_str(),
                  Cell(CounterOr(run, kMacsCounter), 1e9, 1).c_str(),
                  Cell(CounterOr(run, kBandwidthFractionCounter), 0.01, 1).c_str(),
                  Cell(CounterOr(run, kPeakFractionCounter), 0.01, 1).c_str(), cpu_share * 100);
    out << line;
  }
  out << "GB/s: bytes read per second (weights: the packed layout); %bw: of the probed read bandwidth, "
         "%peak: of the probed int8 peak, both at the same thread count; %cpu: the calling thread's CPU time "
         "/ wall time, well below 100 when other processes took a core (then the time is not the kernel's).\n";
  out.flush();
}

}  // namespace bitbrain::bench
