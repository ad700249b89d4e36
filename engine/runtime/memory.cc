#include "engine/runtime/memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace bitbrain::runtime {

AnonymousMemory::AnonymousMemory(size_t bytes, Pages pages) {
  const int populate = pages == Pages::kPrefaulted ? MAP_POPULATE : 0;
  void* address =
      mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | populate, -1, 0);
  if (address == MAP_FAILED) {
    throw std::runtime_error("cannot allocate " + std::to_string(bytes) +
                             " bytes: " + std::strerror(errno));
  }
  data_ = static_cast<uint8_t*>(address);
  size_ = bytes;
}

AnonymousMemory::AnonymousMemory(AnonymousMemory&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

AnonymousMemory& AnonymousMemory::operator=(AnonymousMemory&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) munmap(data_, size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

AnonymousMemory::~AnonymousMemory() {
  if (data_ != nullptr) munmap(data_, size_);
}

void ReleaseFilePages(const void* begin, size_t bytes) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t start = (reinterpret_cast<uintptr_t>(begin) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(begin) + bytes) / page * page;
  // Only a hint as well: if it fails, the pages merely stay resident.
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED);
}

namespace {

// A "Key:   123 kB" line of /proc/self/status, in bytes.
size_t StatusBytes(const char* key) {
  FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return 0;
  char line[256];
  size_t bytes = 0;
  const size_t key_length = std::strlen(key);
  while (std::fgets(line, sizeof line, status) != nullptr) {
    unsigned long long kib = 0;
    if (std::strncmp(line, key, key_length) == 0 &&
        std::sscanf(line + key_length, ": %llu kB", &kib) == 1) {
      bytes = static_cast<size_t>(kib) * 1024;
      break;
    }
  }
  std::fclose(status);
  return bytes;
}

}  // namespace

size_t ResidentBytes() { return StatusBytes("VmRSS"); }
size_t PeakResidentBytes() { return StatusBytes("VmHWM"); }

}  // namespace bitbrain::runtime
