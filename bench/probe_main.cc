// Prints the machine's limits as the probes measure them:
//   bazel run //bench:probe_machine
#include <cstdio>
#include <exception>

#include "bench/probes.h"

int main() {
  try {
    const bitbrain::bench::MachineLimits limits = bitbrain::bench::ProbeMachine({1, 2}, {});
    for (const auto& [key, value] : bitbrain::bench::Describe(limits)) std::printf("%-40s %s\n", key.c_str(), value.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "probe_machine: %s\n", e.what());
    return 1;
  }
  return 0;
}
