// One pool of threads shared by all kernels: the caller plus threads - 1
// workers run the tasks of a ParallelFor. Workers spin for a short while
// after a job (kernels of one decoding step follow each other within
// microseconds) and then sleep, so a job costs about a microsecond to start
// when they are awake.
//
// Which thread runs which task varies from call to call; kernels make results
// independent of it by computing each output element wholly within one task.
#ifndef BITBRAIN_KERNELS_THREAD_POOL_H_
#define BITBRAIN_KERNELS_THREAD_POOL_H_

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace bitbrain::kernels {

// How many tasks per thread ParallelRows makes unless told otherwise
// (tuning.h): a few, so that a delayed thread is made up for.
inline constexpr int kDefaultTasksPerThread = 4;

class ThreadPool {
 public:
  // threads >= 1 (the caller counts as one); throws std::invalid_argument
  // otherwise.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls task(i) once for each i in [0, tasks), spread over the threads, and
  // returns when all calls have returned. Not reentrant: one ParallelFor at a
  // time, and tasks must not call ParallelFor. Tasks must not throw.
  template <typename Task>
  void ParallelFor(int tasks, const Task& task) {
    Run(tasks, [](const void* context, int i) { (*static_cast<const Task*>(context))(i); },
        &task);
  }

  // Splits rows [0, rows) into chunks whose boundaries are multiples of
  // row_tile (the last chunk ends at rows) and calls chunk(begin, end) on
  // each. The chunks shrink as they are handed out (guided scheduling): each
  // takes 1 / (threads * tasks_per_thread) of the tiles still left, at least
  // one. The first ones are long sequential streams; the last, a tile each,
  // let the threads finish together instead of one waiting for another's
  // last long chunk (decoding the 2B4T shapes on 2 threads, the caller
  // waited 2.3-2.8 ms per token with 4 equal chunks per thread, 0.4-1.4 ms
  // with these). One thread takes all the rows in one chunk.
  template <typename Chunk>
  void ParallelRows(int rows, int row_tile, const Chunk& chunk,
                    int tasks_per_thread = kDefaultTasksPerThread) {
    const int tiles = (rows + row_tile - 1) / row_tile;
    const int divisor = threads() == 1 ? 1 : threads() * std::max(1, tasks_per_thread);
    const std::vector<int>& starts = GuidedChunkStarts(tiles, divisor);
    ParallelFor(static_cast<int>(starts.size()) - 1, [&](int i) {
      const int end = starts[i + 1] * row_tile;
      chunk(starts[i] * row_tile, end < rows ? end : rows);
    });
  }

 private:
  using TaskFn = void (*)(const void* context, int task);

  void Run(int tasks, TaskFn fn, const void* context);
  // ParallelRows' chunks of `tiles` tiles: chunk i is tiles [starts[i],
  // starts[i + 1]). Kept in chunk_starts_ (no allocation once it has grown).
  const std::vector<int>& GuidedChunkStarts(int tiles, int divisor);
  // Claims and runs tasks of the current job until none is left.
  void RunTasks();
  void WorkerLoop();

  // The job word: generation (high 32 bits), task count (bits 16..31) and the
  // next unclaimed task (bits 0..15). Claiming a task is one fetch_add, and the
  // claim itself says which job it belongs to and whether it is valid, so a
  // worker that was descheduled in between never runs a task twice or reads a
  // job that has been replaced.
  std::atomic<uint64_t> job_{0};
  TaskFn fn_ = nullptr;             // the current job; written before job_ is
  const void* context_ = nullptr;   //   published, read only by holders of a
                                    //   valid claim
  std::atomic<int> completed_{0};   // tasks of the current job that returned

  std::atomic<bool> stopping_{false};
  std::atomic<int> sleepers_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  std::vector<int> chunk_starts_;  // ParallelRows' current chunks
};

}  // namespace bitbrain::kernels

#endif  // BITBRAIN_KERNELS_THREAD_POOL_H_
