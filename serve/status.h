// What the server reports about itself: the status page (GET /) and the
// Prometheus metrics (GET /metrics), from the same figures.
#ifndef BITBRAIN_SERVE_STATUS_H_
#define BITBRAIN_SERVE_STATUS_H_

#include <cstdint>
#include <map>
#include <string>

#include "serve/scheduler.h"
#include "serve/served_model.h"

namespace bitbrain::serve {

struct StatusFigures {
  const ServedModel* model = nullptr;  // null while loading
  std::string model_id;
  std::string load_error;  // the model failed to load
  SchedulerStats scheduler;
  std::map<int, int64_t> responses_by_status;  // HTTP responses so far
  double uptime_seconds = 0;
  double load_seconds = 0;  // start to ready
  std::string public_url;
  bool api_key_required = false;
};

// Plain HTML, no external assets.
std::string StatusPageHtml(const StatusFigures& figures);

// Prometheus text exposition format 0.0.4.
std::string MetricsText(const StatusFigures& figures);

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_STATUS_H_
