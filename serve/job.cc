#include "serve/job.h"

namespace bitbrain::serve {

JobProgress Job::Take(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return news_; });
  return TakeLocked();
}

JobProgress Job::TakeAll() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return progress_.finished; });
  return TakeLocked();
}

JobProgress Job::TakeLocked() {
  news_ = false;
  JobProgress taken = progress_;
  progress_.text.clear();
  progress_.logprobs.clear();
  return taken;
}

void Job::Publish(const std::function<void(JobProgress&)>& update) {
  {
    std::lock_guard lock(mutex_);
    update(progress_);
    news_ = true;
  }
  changed_.notify_all();
}

}  // namespace bitbrain::serve
