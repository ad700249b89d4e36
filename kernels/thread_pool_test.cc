#include "kernels/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace bitbrain::kernels {
namespace {

TEST_CASE("ParallelFor runs every task exactly once") {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int tasks : {0, 1, 2, 3, 7, 64, 1000}) {
      std::vector<std::atomic<int>> runs(tasks);
      for (int repeat = 0; repeat < 20; ++repeat) {
        pool.ParallelFor(tasks, [&](int i) { runs[i].fetch_add(1); });
      }
      for (int i = 0; i < tasks; ++i) REQUIRE(runs[i].load() == 20);
    }
  }
}

TEST_CASE("ParallelFor uses the workers, also on its first call") {
  for (int attempt = 0; attempt < 20; ++attempt) {
    ThreadPool pool(3);  // the first job may be published before the workers run
    std::atomic<int> started{0};
    std::atomic<int> saw_all_three{0};
    pool.ParallelFor(3, [&](int) {
      started.fetch_add(1);
      // Each task waits (boundedly, so that a failure cannot hang) until all
      // three have started: all three see it only if they run at once.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (started.load() < 3 && std::chrono::steady_clock::now() < deadline) {
      }
      if (started.load() == 3) saw_all_three.fetch_add(1);
    });
    REQUIRE(saw_all_three.load() == 3);
  }
}

TEST_CASE("workers wake up after sleeping") {
  ThreadPool pool(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // longer than the spin
  std::atomic<int> sum{0};
  pool.ParallelFor(100, [&](int i) { sum.fetch_add(i); });
  CHECK(sum.load() == 4950);
}

TEST_CASE("ParallelRows covers the rows in tile-aligned chunks") {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int rows : {1, 3, 16, 17, 641, 2560}) {
      for (int tile : {1, 8, 16, 64}) {
        std::vector<std::atomic<int>> covered(rows);
        pool.ParallelRows(rows, tile, [&](int begin, int end) {
          CHECK(begin % tile == 0);
          CHECK((end % tile == 0 || end == rows));
          for (int r = begin; r < end; ++r) covered[r].fetch_add(1);
        });
        for (int r = 0; r < rows; ++r) REQUIRE(covered[r].load() == 1);
      }
    }
  }
}

TEST_CASE("ParallelRows hands out shrinking chunks, down to a tile") {
  ThreadPool pool(2);
  std::mutex mutex;
  std::vector<std::pair<int, int>> chunks;
  // 216 tiles of 64 rows (the gate and up products of 2B4T), 4 per thread.
  pool.ParallelRows(216 * 64, 64, [&](int begin, int end) {
    std::lock_guard<std::mutex> lock(mutex);
    chunks.push_back({begin / 64, end / 64});
  }, 4);
  std::sort(chunks.begin(), chunks.end());
  REQUIRE(chunks.size() > 8);
  CHECK(chunks.front() == std::pair{0, 27});  // 216 / 8
  CHECK(chunks.back() == std::pair{215, 216});
  for (size_t i = 1; i < chunks.size(); ++i) {
    CHECK(chunks[i].first == chunks[i - 1].second);
    CHECK(chunks[i].second - chunks[i].first <= chunks[i - 1].second - chunks[i - 1].first);
  }
  // One thread: a single chunk.
  ThreadPool single(1);
  int calls = 0;
  single.ParallelRows(216 * 64, 64, [&](int begin, int end) {
    ++calls;
    CHECK((begin == 0 && end == 216 * 64));
  }, 4);
  CHECK(calls == 1);
}

TEST_CASE("a pool needs at least one thread") {
  CHECK_THROWS_AS(ThreadPool(0), std::invalid_argument);
}

}  // namespace
}  // namespace bitbrain::kernels
