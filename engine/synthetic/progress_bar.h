// A progress bar on stderr for long jobs such as writing a 1.2 GB model,
// drawn only when stderr is a terminal (logs and pipes stay clean).
#ifndef BITBRAIN_ENGINE_SYNTHETIC_PROGRESS_BAR_H_
#define BITBRAIN_ENGINE_SYNTHETIC_PROGRESS_BAR_H_

#include <cstdint>
#include <string>

namespace bitbrain::synthetic {

class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();  // ends the bar's line if one was drawn
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Redraws the bar when the percentage changes.
  void Update(uint64_t done, uint64_t total);

 private:
  std::string label_;
  bool enabled_;
  int drawn_percent_ = -1;
};

}  // namespace bitbrain::synthetic

#endif  // BITBRAIN_ENGINE_SYNTHETIC_PROGRESS_BAR_H_
