// The metrics text: every sample value reads back exactly.
#include "serve/status.h"

#include <catch2/catch.hpp>
#include <string>

namespace bitbrain::serve {
namespace {

TEST_CASE("metrics: counters print as integers, gauges as the shortest exact decimal") {
  StatusFigures figures;  // no model: the server is still loading
  figures.scheduler.generated_tokens = 123456789;
  figures.scheduler.prompt_tokens = int64_t{1} << 40;
  figures.uptime_seconds = 0.1;
  figures.responses_by_status[200] = 7;
  const std::string text = MetricsText(figures);
  CHECK_THAT(text, Catch::Contains("\nbitbrain_generated_tokens_total 123456789\n"));
  CHECK_THAT(text, Catch::Contains("\nbitbrain_prompt_tokens_total 1099511627776\n"));
  CHECK_THAT(text, Catch::Contains("\nbitbrain_uptime_seconds 0.1\n"));
  CHECK_THAT(text, Catch::Contains("\nbitbrain_model_ready 0\n"));
  CHECK_THAT(text, Catch::Contains("bitbrain_http_responses_total{code=\"200\"} 7\n"));
}

}  // namespace
}  // namespace bitbrain::serve
