#include "engine/runtime/memory.h"

#include <sys/mman.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace bitbrain::runtime {
namespace {

constexpr size_t kMiB = 1 << 20;

TEST_CASE("anonymous memory is zero and becomes resident only when written") {
  const size_t before = ResidentBytes();
  REQUIRE(before > 0);
  AnonymousMemory memory(256 * kMiB, Pages::kOnFirstWrite);
  CHECK(memory.size() == 256 * kMiB);
  CHECK(ResidentBytes() < before + 8 * kMiB);
  for (size_t i = 0; i < memory.size(); i += 4096) {
    REQUIRE(memory.data()[i] == 0);
    memory.data()[i] = 1;
  }
  CHECK(ResidentBytes() >= before + 250 * kMiB);
  CHECK(PeakResidentBytes() >= ResidentBytes());

  AnonymousMemory moved = std::move(memory);
  CHECK(memory.data() == nullptr);
  CHECK(moved.data()[4096] == 1);
}

TEST_CASE("prefaulted anonymous memory is resident and zero at once") {
  const size_t before = ResidentBytes();
  AnonymousMemory memory(128 * kMiB, Pages::kPrefaulted);
  CHECK(ResidentBytes() >= before + 120 * kMiB);
  for (size_t i = 0; i < memory.size(); i += 4096) REQUIRE(memory.data()[i] == 0);
}

TEST_CASE("released file pages leave the resident set and read back the same") {
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR") ? std::getenv("TEST_TMPDIR") : "/tmp") +
      "/memory_test_file";
  std::vector<unsigned char> bytes(64 * kMiB);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = static_cast<unsigned char>(i * 7 + (i >> 12));
  FILE* file = std::fopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size());
  std::fclose(file);
  file = std::fopen(path.c_str(), "rb");
  REQUIRE(file != nullptr);
  void* map = mmap(nullptr, bytes.size(), PROT_READ, MAP_PRIVATE, fileno(file), 0);
  std::fclose(file);
  REQUIRE(map != MAP_FAILED);
  const auto* mapped = static_cast<const unsigned char*>(map);

  unsigned sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 4096) sum += mapped[i];
  const size_t touched = ResidentBytes();
  // An unaligned range: only the whole pages inside it go.
  ReleaseFilePages(mapped + 100, bytes.size() - 200);
  CHECK(ResidentBytes() + 60 * kMiB < touched);
  for (size_t i = 0; i < bytes.size(); i += 4093) REQUIRE(mapped[i] == bytes[i]);
  CHECK(sum > 0);
  munmap(map, bytes.size());
  std::remove(path.c_str());
}

}  // namespace
}  // namespace bitbrain::runtime
