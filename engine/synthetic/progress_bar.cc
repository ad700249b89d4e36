#include "engine/synthetic/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace bitbrain::synthetic {

ProgressBar::ProgressBar(std::string label) : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() {
  if (enabled_ && drawn_percent_ >= 0) std::fputc('\n', stderr);
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_ || total == 0) return;
  const int percent = static_cast<int>(done * 100 / total);
  if (percent == drawn_percent_) return;
  drawn_percent_ = percent;
  constexpr int kWidth = 40;
  const int filled = percent * kWidth / 100;
  std::fprintf(stderr, "\r%s [%.*s%*s] %3d%% %llu/%llu MB", label_.c_str(), filled,
               "########################################", kWidth - filled, "", percent,
               static_cast<unsigned long long>(done >> 20), static_cast<unsigned long long>(total >> 20));
  std::fflush(stderr);
}

}  // namespace bitbrain::synthetic
