// The repack cache: a valid cache maps to the same bytes and the same logits;
// a stale, truncated or corrupted one, or one of another layout, is rejected
// (and the engine rebuilds it); an unwritable directory is survived.
#include "engine/runtime/repack_cache.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "engine/runtime/engine.h"
#include "kernels/isa.h"
#include "kernels/kernels.h"

namespace bitbrain::runtime {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTinyModel = "engine/synthetic/tiny.gguf";

// A fresh directory for one test case.
fs::path TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(base != nullptr ? base : "/tmp") / ("repack_cache_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<uint8_t> Payload(size_t bytes, uint8_t seed) {
  std::vector<uint8_t> payload(bytes);
  for (size_t i = 0; i < bytes; ++i) payload[i] = static_cast<uint8_t>(i * 131 + seed);
  return payload;
}

void FlipByte(const fs::path& file, size_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  const char byte = static_cast<char>(f.get() ^ 0x20);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(byte);
}

kernels::ThreadPool& Pool() {
  static kernels::ThreadPool pool(2);
  return pool;
}

const ModelIdentity kModel = {.file_size = 1234, .mtime_ns = 5678, .header_hash = 42};

TEST_CASE("a written cache opens with the same bytes") {
  const fs::path dir = TempDir("roundtrip");
  const RepackCache cache((dir / "m.gguf").string(), "layout-a", kModel);
  CHECK(cache.path() == (dir / "m.gguf.bitbrain-layout-a.cache").string());
  const std::vector<uint8_t> payload = Payload(3 << 20, 1);
  std::string why;
  CHECK_FALSE(cache.Open(payload.size(), Pool(), &why));
  CHECK(why.empty());  // no file yet: nothing to report
  std::string error;
  REQUIRE(cache.Write(payload.data(), payload.size(), Pool(), &error));
  const std::optional<MappedCache> mapped = cache.Open(payload.size(), Pool(), &why);
  REQUIRE(mapped);
  REQUIRE(mapped->payload_bytes() == payload.size());
  CHECK(std::memcmp(mapped->payload(), payload.data(), payload.size()) == 0);
  // No temporary file is left behind.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
}

TEST_CASE("stale, truncated, corrupted and foreign caches are rejected") {
  const fs::path dir = TempDir("rejected");
  const std::string model = (dir / "m.gguf").string();
  const std::vector<uint8_t> payload = Payload(1 << 20, 2);
  const auto written = [&] {
    const RepackCache cache(model, "layout-a", kModel);
    std::string error;
    REQUIRE(cache.Write(payload.data(), payload.size(), Pool(), &error));
    return fs::path(cache.path());
  };
  const auto rejection = [&](const ModelIdentity& identity, const std::string& layout,
                             size_t payload_bytes) {
    std::string why;
    const bool opened = RepackCache(model, layout, identity).Open(payload_bytes, Pool(), &why).has_value();
    return opened ? std::string("accepted") : why;
  };
  const fs::path file = written();
  REQUIRE(rejection(kModel, "layout-a", payload.size()) == "accepted");

  SECTION("another model file") {
    for (ModelIdentity other : {ModelIdentity{1235, 5678, 42}, ModelIdentity{1234, 5679, 42},
                                ModelIdentity{1234, 5678, 43}}) {
      CHECK(rejection(other, "layout-a", payload.size()) ==
            "made from another version of the model file");
    }
  }
  SECTION("another layout or size") {
    fs::rename(file, fs::path(model + ".bitbrain-layout-b.cache"));
    CHECK(rejection(kModel, "layout-b", payload.size()) == "another layout");
    fs::rename(fs::path(model + ".bitbrain-layout-b.cache"), file);
    CHECK(rejection(kModel, "layout-a", payload.size() + 64).find("size") == 0);
  }
  SECTION("truncated") {
    fs::resize_file(file, fs::file_size(file) - 1);
    CHECK(rejection(kModel, "layout-a", payload.size()).find("size") == 0);
    fs::resize_file(file, 100);
    CHECK(rejection(kModel, "layout-a", payload.size()).find("size") == 0);
  }
  SECTION("a payload byte changed") {
    for (size_t offset : {size_t{0}, payload.size() / 2, payload.size() - 1}) {
      FlipByte(file, MappedCache::kHeaderBytes + offset);
      CHECK(rejection(kModel, "layout-a", payload.size()) == "contents corrupted");
      FlipByte(file, MappedCache::kHeaderBytes + offset);
      CHECK(rejection(kModel, "layout-a", payload.size()) == "accepted");
    }
  }
  SECTION("the header changed") {
    FlipByte(file, 0);
    CHECK(rejection(kModel, "layout-a", payload.size()) == "not a bitbrain repack cache");
    FlipByte(file, 0);
    FlipByte(file, 8);
    CHECK(rejection(kModel, "layout-a", payload.size()).find("format version") == 0);
  }
}

TEST_CASE("an unwritable directory fails cleanly") {
  const RepackCache cache("/proc/no-such-dir/m.gguf", "layout-a", kModel);
  const std::vector<uint8_t> payload = Payload(4096, 3);
  std::string error;
  CHECK_FALSE(cache.Write(payload.data(), payload.size(), Pool(), &error));
  CHECK(error.find("cannot create") == 0);
}

std::vector<float> Logits(Engine& engine) {
  Sequence sequence = engine.NewSequence();
  std::vector<int32_t> prompt = {1, 5, 9, 200, 7};
  std::vector<float> logits(engine.config().vocab_size);
  engine.Forward(sequence, prompt, logits);
  return logits;
}

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The rows the screened head finds for a top-40 query, and their logits.
CandidateLogits Candidates(Engine& engine) {
  Sequence sequence = engine.NewSequence();
  std::vector<int32_t> prompt = {1, 5, 9, 200, 7};
  CandidateLogits candidates;
  engine.Forward(sequence, prompt, CandidateQuery{.k = 40}, candidates);
  return candidates;
}

bool SameCandidates(const CandidateLogits& a, const CandidateLogits& b) {
  return a.ids == b.ids && SameBits(a.logits, b.logits);
}

TEST_CASE("the engine writes, maps and rebuilds its cache, with the same logits") {
  const fs::path dir = TempDir("engine");
  const fs::path model = dir / "tiny.gguf";
  fs::copy_file(kTinyModel, model);
  Engine uncached(model.string(), {.threads = 2, .cache_repacked_weights = false});
  const std::vector<float> expected = Logits(uncached);
  const CandidateLogits expected_candidates = Candidates(uncached);
  CHECK(fs::is_empty(dir) == false);
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);

  for (bool compact : {true, false}) {
    INFO("compact " << compact);
    const EngineOptions options = {.threads = 2, .compact_weights = compact};
    Engine first(model.string(), options);
    CHECK_FALSE(first.load_stats().from_cache);
    CHECK(first.load_stats().screen_from_cache == !compact);  // written by the first engine
    CHECK(SameBits(Logits(first), expected));
    Engine second(model.string(), options);
    CHECK(second.load_stats().from_cache);
    CHECK(second.load_stats().screen_from_cache);
    CHECK(SameBits(Logits(second), expected));
    CHECK(SameCandidates(Candidates(second), expected_candidates));
  }
  // Both layouts' caches and the screening copy's are there; corrupt them:
  // they are rebuilt, not used.
  std::vector<fs::path> caches;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".cache") caches.push_back(entry.path());
  }
  REQUIRE(caches.size() == 3);
  for (const fs::path& cache : caches) {
    FlipByte(cache, fs::file_size(cache) - 1);
  }
  for (bool compact : {true, false}) {
    const EngineOptions options = {.threads = 2, .compact_weights = compact};
    Engine rebuilt(model.string(), options);
    CHECK_FALSE(rebuilt.load_stats().from_cache);
    CHECK(rebuilt.load_stats().screen_from_cache == !compact);  // rebuilt by the first
    CHECK(SameBits(Logits(rebuilt), expected));
    Engine again(model.string(), options);
    CHECK(again.load_stats().from_cache);
    CHECK(again.load_stats().screen_from_cache);
  }
  // A model file that changed (here: touched) invalidates its caches.
  fs::last_write_time(model, fs::last_write_time(model) + std::chrono::seconds(1));
  Engine touched(model.string(), {.threads = 2});
  CHECK_FALSE(touched.load_stats().from_cache);
  CHECK_FALSE(touched.load_stats().screen_from_cache);
}

TEST_CASE("the engine runs when its cache cannot be written") {
  // A directory where the cache file should be: neither readable as a cache
  // nor replaceable by one, even for root (for whom no directory is read-only).
  const fs::path dir = TempDir("unwritable");
  const fs::path model = dir / "tiny.gguf";
  fs::copy_file(kTinyModel, model);
  // Every cache name the engine could use here: each layout of each variant
  // (variants may share one).
  std::set<std::string> layouts = {ScreenedHead::kCacheLayout};
  for (const kernels::Isa isa : kernels::SupportedIsas()) {
    for (const kernels::TernaryLayout layout : kernels::kTernaryLayouts) {
      layouts.insert(kernels::KernelsFor(isa).ternary(layout).layout);
    }
  }
  for (const std::string& layout : layouts) {
    fs::create_directory(model.string() + ".bitbrain-" + layout + ".cache");
  }
  Engine engine(model.string(), {.threads = 2});
  CHECK_FALSE(engine.load_stats().from_cache);
  CHECK_FALSE(engine.load_stats().screen_from_cache);
  Engine uncached(model.string(), {.threads = 2, .cache_repacked_weights = false});
  CHECK(SameBits(Logits(engine), Logits(uncached)));
  // Nothing but the model and those directories.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) ==
        static_cast<std::ptrdiff_t>(1 + layouts.size()));
}

}  // namespace
}  // namespace bitbrain::runtime
