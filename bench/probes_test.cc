#include "bench/probes.h"

#include <catch2/catch.hpp>
#include <stdexcept>

namespace bitbrain::bench {
namespace {

bool Ordered(const RateSample& s) { return 0 < s.worst && s.worst <= s.median && s.median <= s.best; }

TEST_CASE("read bandwidth is a positive rate with ordered statistics") {
  const RateSample one = MeasureReadBandwidth(1, size_t{16} << 20, 3);
  CHECK(Ordered(one));
  const RateSample two = MeasureReadBandwidth(2, size_t{16} << 20, 3);
  CHECK(Ordered(two));
}

TEST_CASE("bad probe arguments are errors") {
  CHECK_THROWS_AS(MeasureReadBandwidth(0, 1 << 20, 1), std::invalid_argument);
  CHECK_THROWS_AS(MeasureReadBandwidth(1, 1 << 20, 0), std::invalid_argument);
  CHECK_THROWS_AS(MeasureReadBandwidth(2, 100, 1), std::invalid_argument);
  CHECK_THROWS_AS(MeasureInt8Peak(Int8DotInstruction::kAvx2Maddubs, 0, 1, 0.01), std::invalid_argument);
}

TEST_CASE("the int8 peak of each supported instruction is a positive rate") {
  for (Int8DotInstruction instruction : {Int8DotInstruction::kAvx2Maddubs, Int8DotInstruction::kAvx512Vnni}) {
    if (!CpuSupports(instruction)) {
      CHECK_THROWS_AS(MeasureInt8Peak(instruction, 1, 1, 0.01), std::invalid_argument);
      continue;
    }
    CAPTURE(Name(instruction));
    CHECK(Ordered(MeasureInt8Peak(instruction, 1, 3, 0.01)));
  }
}

TEST_CASE("ProbeMachine covers every thread count and describes it") {
  const MachineLimits limits = ProbeMachine({1, 2}, {.bandwidth_buffer_bytes = size_t{16} << 20,
                                                     .bandwidth_passes = 1,
                                                     .peak_repetitions = 1,
                                                     .peak_seconds_per_repetition = 0.01});
  CHECK(limits.read_bandwidth.size() == 2);
  CHECK(limits.int8_peak.size() == 2);
  CHECK(CpuSupports(limits.int8_instruction));
  bool has_bandwidth_line = false;
  for (const auto& [key, value] : Describe(limits)) has_bandwidth_line |= key == "read_bandwidth_2t_GB/s";
  CHECK(has_bandwidth_line);
}

}  // namespace
}  // namespace bitbrain::bench
