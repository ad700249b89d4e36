#include "bench/case_label.h"

#include <catch2/catch.hpp>

namespace bitbrain::bench {
namespace {

TEST_CASE("a case name reads back as its label") {
  const CaseLabel label{.kernel = "ternary_matmul", .variant = "avx2", .shape = "2560x6912", .tokens = 128, .threads = 2};
  const std::string name = CaseName(label);
  CHECK(name == "ternary_matmul/avx2/2560x6912/tokens:128/threads:2");
  const std::optional<CaseLabel> parsed = ParseCaseName(name);
  REQUIRE(parsed.has_value());
  CHECK(parsed->kernel == label.kernel);
  CHECK(parsed->variant == label.variant);
  CHECK(parsed->shape == label.shape);
  CHECK(parsed->tokens == 128);
  CHECK(parsed->threads == 2);
}

TEST_CASE("names CaseName does not produce are rejected") {
  CHECK_FALSE(ParseCaseName("").has_value());
  CHECK_FALSE(ParseCaseName("BM_Something").has_value());
  CHECK_FALSE(ParseCaseName("a/b/c/tokens:1").has_value());
  CHECK_FALSE(ParseCaseName("a/b/c/tokens:1/threads:2/real_time").has_value());
  CHECK_FALSE(ParseCaseName("a/b/c/tokens:0/threads:2").has_value());
  CHECK_FALSE(ParseCaseName("a/b/c/tokens:x/threads:2").has_value());
  CHECK_FALSE(ParseCaseName("a/b/c/threads:2/tokens:1").has_value());
  CHECK_FALSE(ParseCaseName("a//c/tokens:1/threads:2").has_value());
}

}  // namespace
}  // namespace bitbrain::bench
