#include "bench/kernel_benchmarks.h"

#include <cstdio>

namespace bitbrain::bench {

std::string TooSlowMessage(double estimated_seconds, double max_seconds) {
  char text[128];
  std::snprintf(text, sizeof(text), "skipped: ~%.1f s per call > --max_seconds_per_call=%g", estimated_seconds,
                max_seconds);
  return text;
}

}  // namespace bitbrain::bench
