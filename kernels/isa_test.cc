#include "kernels/isa.h"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "kernels/kernels.h"

namespace bitbrain::kernels {
namespace {

TEST_CASE("names round-trip") {
  for (Isa isa : kAllIsas) CHECK(ParseIsa(IsaName(isa)) == isa);
  CHECK_FALSE(ParseIsa("avx").has_value());
  CHECK_FALSE(ParseIsa("").has_value());
}

TEST_CASE("scalar is always supported and the best ISA is supported") {
  const std::vector<Isa> supported = SupportedIsas();
  REQUIRE_FALSE(supported.empty());
  CHECK(supported.front() == Isa::kScalar);
  CHECK(CpuSupports(BestIsa()));
}

TEST_CASE("SetIsa forces a variant and rejects bad names") {
  for (Isa isa : SupportedIsas()) {
    SetIsa(isa);
    CHECK(ActiveIsa() == isa);
    CHECK(ActiveKernels().isa == isa);
    CHECK(DescribeIsa().find(IsaName(isa)) != std::string::npos);
  }
  CHECK_THROWS_WITH(SetIsa("sse9"), Catch::Contains("unknown kernel variant") &&
                                         Catch::Contains("scalar, avx2, avx512"));
  for (Isa isa : kAllIsas) {
    if (!CpuSupports(isa)) CHECK_THROWS_AS(SetIsa(isa), std::runtime_error);
  }
}

TEST_CASE("every table names its own variant") {
  for (Isa isa : kAllIsas) CHECK(KernelsFor(isa).isa == isa);
}

}  // namespace
}  // namespace bitbrain::kernels
