#include "kernels/thread_pool.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace bitbrain::kernels {
namespace {

constexpr int kMaxTasks = 1 << 15;  // leaves room in the 16-bit task index
// How long an idle worker spins before it sleeps: longer than the gaps
// between the kernels of one decoding step.
constexpr auto kSpin = std::chrono::microseconds(200);

constexpr uint32_t Generation(uint64_t job) { return static_cast<uint32_t>(job >> 32); }
constexpr int TaskCount(uint64_t job) { return static_cast<int>((job >> 16) & 0xFFFF); }
constexpr int TaskIndex(uint64_t job) { return static_cast<int>(job & 0xFFFF); }

}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads < 1) throw std::invalid_argument("ThreadPool: threads must be >= 1");
  workers_.reserve(threads - 1);
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

namespace {
// The size of the next guided chunk when `left` tiles are left.
int GuidedSize(int left, int divisor) { return std::max(1, left / divisor); }
}  // namespace

const std::vector<int>& ThreadPool::GuidedChunkStarts(int tiles, int divisor) {
  chunk_starts_.assign(1, 0);
  for (int first = 0; first < tiles;) {
    first += GuidedSize(tiles - first, divisor);
    chunk_starts_.push_back(first);
  }
  return chunk_starts_;
}

void ThreadPool::Run(int tasks, TaskFn fn, const void* context) {
  if (tasks <= 0) return;
  if (tasks > kMaxTasks) throw std::invalid_argument("ThreadPool: too many tasks");
  if (workers_.empty() || tasks == 1) {
    for (int i = 0; i < tasks; ++i) fn(context, i);
    return;
  }
  fn_ = fn;
  context_ = context;
  completed_.store(0, std::memory_order_relaxed);
  const uint32_t generation = Generation(job_.load(std::memory_order_relaxed)) + 1;
  job_.store(uint64_t{generation} << 32 | uint64_t(tasks) << 16, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(mutex_);  // pairs with the sleeper's check
    wake_.notify_all();
  }
  RunTasks();
  while (completed_.load(std::memory_order_acquire) != tasks) _mm_pause();
}

void ThreadPool::RunTasks() {
  while (true) {
    const uint64_t claim = job_.fetch_add(1, std::memory_order_acq_rel);
    if (TaskIndex(claim) >= TaskCount(claim)) return;
    // A valid claim: this job cannot finish (nor be replaced) before the task
    // is counted, so fn_ and context_ are still its own.
    fn_(context_, TaskIndex(claim));
    completed_.fetch_add(1, std::memory_order_release);
  }
}

void ThreadPool::WorkerLoop() {
  // Generation 0 is "no job yet": a worker that starts after the first job
  // was published must still take part in it.
  uint32_t seen = 0;
  while (true) {
    // Spin, then sleep, until a new job is published or the pool stops.
    const auto spin_end = std::chrono::steady_clock::now() + kSpin;
    int polls = 0;
    while (Generation(job_.load(std::memory_order_acquire)) == seen &&
           !stopping_.load(std::memory_order_relaxed)) {
      _mm_pause();
      if (++polls % 64 == 0 && std::chrono::steady_clock::now() > spin_end) {
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] {
          return Generation(job_.load(std::memory_order_seq_cst)) != seen ||
                 stopping_.load(std::memory_order_relaxed);
        });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
      }
    }
    if (stopping_.load(std::memory_order_relaxed)) return;
    seen = Generation(job_.load(std::memory_order_acquire));
    RunTasks();
  }
}

}  // namespace bitbrain::kernels
