#include "engine/runtime/repack_cache.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

namespace bitbrain::runtime {
namespace {

constexpr char kMagic[8] = {'B', 'B', 'R', 'E', 'P', 'A', 'C', 'K'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kLayoutChars = 64;

// The header's fields, in this order, at the start of the 4096 bytes.
struct Header {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  uint64_t model_size;
  int64_t model_mtime_ns;
  uint64_t model_header_hash;
  uint64_t payload_bytes;
  uint64_t payload_hash;
  char layout[kLayoutChars];  // NUL-terminated
};
static_assert(sizeof(Header) <= MappedCache::kHeaderBytes);

// Hashes a chunk as four interleaved multiply-xorshift streams (fast enough
// to check a 400 MB cache in a fraction of its repacking time).
uint64_t HashChunk(const uint8_t* data, size_t bytes, uint64_t seed) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t lanes[4] = {seed, seed ^ 1, seed ^ 2, seed ^ 3};
  size_t i = 0;
  for (; i + 32 <= bytes; i += 32) {
    for (int lane = 0; lane < 4; ++lane) {
      uint64_t word;
      std::memcpy(&word, data + i + 8 * lane, 8);
      lanes[lane] = (lanes[lane] ^ word) * kMul;
      lanes[lane] ^= lanes[lane] >> 29;
    }
  }
  uint64_t h = bytes;
  for (uint64_t lane : lanes) h = (h ^ lane) * kMul;
  for (; i < bytes; ++i) h = (h ^ data[i]) * kMul;
  return h ^ (h >> 31);
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

}  // namespace

uint64_t HashBytes(const uint8_t* data, size_t bytes, kernels::ThreadPool& pool) {
  constexpr size_t kChunk = size_t{8} << 20;
  const int chunks = static_cast<int>((bytes + kChunk - 1) / kChunk);
  std::vector<uint64_t> hashes(chunks);
  pool.ParallelFor(chunks, [&](int c) {
    const size_t begin = static_cast<size_t>(c) * kChunk;
    hashes[c] = HashChunk(data + begin, std::min(kChunk, bytes - begin), c);
  });
  return HashChunk(reinterpret_cast<const uint8_t*>(hashes.data()), hashes.size() * 8, bytes);
}

ModelIdentity ModelIdentity::Of(const std::string& model_path, uint64_t header_bytes) {
  const int fd = open(model_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(Errno("cannot open " + model_path));
  struct stat st;
  std::vector<uint8_t> header(header_bytes);
  const bool ok = fstat(fd, &st) == 0 &&
                  pread(fd, header.data(), header.size(), 0) == static_cast<ssize_t>(header.size());
  const std::string error = ok ? "" : Errno("cannot read " + model_path);
  close(fd);
  if (!ok) throw std::runtime_error(error);
  return {.file_size = static_cast<uint64_t>(st.st_size),
          .mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
          .header_hash = HashChunk(header.data(), header.size(), 0)};
}

MappedCache::MappedCache(MappedCache&& other) noexcept
    : mapping_(std::exchange(other.mapping_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedCache& MappedCache::operator=(MappedCache&& other) noexcept {
  if (this != &other) {
    if (mapping_ != nullptr) munmap(mapping_, size_);
    mapping_ = std::exchange(other.mapping_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedCache::~MappedCache() {
  if (mapping_ != nullptr) munmap(mapping_, size_);
}

RepackCache::RepackCache(const std::string& model_path, const std::string& layout,
                         ModelIdentity model)
    : path_(model_path + ".bitbrain-" + layout + ".cache"), layout_(layout), model_(model) {
  if (layout.size() >= kLayoutChars) throw std::invalid_argument("layout name too long: " + layout);
}

std::optional<MappedCache> RepackCache::Open(size_t payload_bytes, kernels::ThreadPool& pool,
                                             std::string* why) const {
  why->clear();
  const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) *why = Errno("cannot open");
    return std::nullopt;
  }
  struct stat st;
  const size_t expected = MappedCache::kHeaderBytes + payload_bytes;
  if (fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_size) != expected) {
    close(fd);
    *why = "size " + std::to_string(st.st_size) + " instead of " + std::to_string(expected);
    return std::nullopt;
  }
  void* address = mmap(nullptr, expected, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  close(fd);
  if (address == MAP_FAILED) {
    *why = Errno("cannot map");
    return std::nullopt;
  }
  MappedCache cache(static_cast<uint8_t*>(address), expected);
  Header h;
  std::memcpy(&h, cache.mapping_, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) {
    *why = "not a bitbrain repack cache";
  } else if (h.version != kFormatVersion) {
    *why = "format version " + std::to_string(h.version);
  } else if (std::strncmp(h.layout, layout_.c_str(), kLayoutChars) != 0) {
    *why = "another layout";
  } else if (h.model_size != model_.file_size || h.model_mtime_ns != model_.mtime_ns ||
             h.model_header_hash != model_.header_hash) {
    *why = "made from another version of the model file";
  } else if (h.payload_bytes != payload_bytes ||
             h.payload_hash != HashBytes(cache.payload(), payload_bytes, pool)) {
    *why = "contents corrupted";
  } else {
    return cache;
  }
  return std::nullopt;
}

bool RepackCache::Write(const uint8_t* payload, size_t payload_bytes, kernels::ThreadPool& pool,
                        std::string* error) const {
  std::vector<uint8_t> header(MappedCache::kHeaderBytes, 0);
  Header h{};
  std::memcpy(h.magic, kMagic, sizeof kMagic);
  h.version = kFormatVersion;
  h.model_size = model_.file_size;
  h.model_mtime_ns = model_.mtime_ns;
  h.model_header_hash = model_.header_hash;
  h.payload_bytes = payload_bytes;
  h.payload_hash = HashBytes(payload, payload_bytes, pool);
  std::strncpy(h.layout, layout_.c_str(), kLayoutChars - 1);
  std::memcpy(header.data(), &h, sizeof h);

  const std::string temporary = path_ + ".tmp." + std::to_string(getpid());
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = Errno("cannot create " + temporary);
    return false;
  }
  const auto write_all = [&](const uint8_t* data, size_t bytes) {
    while (bytes > 0) {
      const ssize_t n = write(fd, data, bytes);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data += n;
      bytes -= static_cast<size_t>(n);
    }
    return true;
  };
  bool ok = write_all(header.data(), header.size()) && write_all(payload, payload_bytes);
  if (!ok) *error = Errno("cannot write " + temporary);
  if (close(fd) != 0 && ok) {
    ok = false;
    *error = Errno("cannot write " + temporary);
  }
  if (ok && rename(temporary.c_str(), path_.c_str()) != 0) {
    ok = false;
    *error = Errno("cannot rename " + temporary + " to " + path_);
  }
  if (!ok) unlink(temporary.c_str());
  return ok;
}

}  // namespace bitbrain::runtime
