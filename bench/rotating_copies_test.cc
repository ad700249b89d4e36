#include "bench/rotating_copies.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

namespace bitbrain::bench {
namespace {

TEST_CASE("enough copies to reach the total, each equal to the first") {
  constexpr size_t kBytes = 10000;  // not a multiple of the 4 KiB alignment
  std::vector<uint8_t> original(kBytes);
  for (size_t i = 0; i < kBytes; ++i) original[i] = static_cast<uint8_t>(i * 7 + 1);
  RotatingCopies copies(kBytes, 95000, [&](uint8_t* first) { std::memcpy(first, original.data(), kBytes); });
  REQUIRE(copies.count() == 10);  // ceil(95000 / 10000)
  CHECK(copies.bytes_per_copy() == kBytes);

  std::set<const uint8_t*> seen;
  for (size_t i = 0; i < copies.count(); ++i) {
    const uint8_t* copy = copies.Next();
    CHECK(reinterpret_cast<uintptr_t>(copy) % 4096 == 0);
    CHECK(std::memcmp(copy, original.data(), kBytes) == 0);
    seen.insert(copy);
  }
  CHECK(seen.size() == copies.count());  // every copy handed out once per round
  CHECK(seen.count(copies.Next()) == 1);  // then it starts over
}

TEST_CASE("a tensor larger than the total still gets one copy") {
  RotatingCopies copies(1 << 20, 1000, [](uint8_t* first) { std::memset(first, 3, 1 << 20); });
  CHECK(copies.count() == 1);
  CHECK(copies.Next() == copies.Next());
}

TEST_CASE("an empty tensor is an error") {
  CHECK_THROWS_AS(RotatingCopies(0, 1000, [](uint8_t*) {}), std::invalid_argument);
}

}  // namespace
}  // namespace bitbrain::bench
