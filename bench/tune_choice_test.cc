#include "bench/tune_choice.h"

#include <catch2/catch.hpp>
#include <stdexcept>

namespace bitbrain::bench {
namespace {

TEST_CASE("the default stays unless a candidate is clearly faster") {
  // Candidates 1 and 2 within the margin of the default (index 0).
  CHECK(ChooseCandidate({1.00, 0.98, 0.99}, 0) == 0);
  CHECK(ChooseCandidate({1.00, 0.971, 0.99}, 0) == 0);  // just within the margin
  CHECK(ChooseCandidate({1.00, 0.969, 0.99}, 0) == 1);  // just beyond it
  CHECK(ChooseCandidate({1.00, 0.90, 0.95}, 0) == 1);
  CHECK(ChooseCandidate({0.90, 1.00, 0.80}, 1) == 2);
  CHECK(ChooseCandidate({0.99, 1.00}, 1) == 1);
}

TEST_CASE("the default wins when it is the fastest") {
  CHECK(ChooseCandidate({1.2, 1.0, 1.1}, 1) == 1);
  CHECK(ChooseCandidate({1.0}, 0) == 0);
}

TEST_CASE("a margin of zero picks the fastest") {
  CHECK(ChooseCandidate({1.00, 0.999}, 0, 0.0) == 1);
}

TEST_CASE("the default must be a candidate") {
  CHECK_THROWS_AS(ChooseCandidate({1.0, 2.0}, 2), std::invalid_argument);
  CHECK_THROWS_AS(ChooseCandidate({}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace bitbrain::bench
