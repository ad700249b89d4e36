#include "serve/status.h"

#include <charconv>
#include <cstdio>
#include <sstream>

#include "kernels/isa.h"
#include "kernels/kernels.h"

namespace bitbrain::serve {
namespace {

std::string EscapeHtml(std::string_view text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&#39;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string Row(std::string_view name, std::string_view value) {
  return "<tr><th>" + EscapeHtml(name) + "</th><td>" + EscapeHtml(value) + "</td></tr>\n";
}

// A sample value as Prometheus reads it back exactly: the shortest decimal
// that rounds to it (counts print as integers, never as 1.23457e+06).
std::string SampleValue(double value) {
  char buffer[32];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
  return std::string(buffer, end);
}

}  // namespace

std::string StatusPageHtml(const StatusFigures& figures) {
  const ServedModel* model = figures.model;
  const SchedulerStats& stats = figures.scheduler;
  std::ostringstream html;
  html << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width\"><title>bitbrain</title>"
          "<meta http-equiv=\"refresh\" content=\"10\"><style>"
          "body{background:#111;color:#ddd;font:14px/1.5 monospace;max-width:60em;margin:2em auto;"
          "padding:0 1em}th{text-align:left;padding-right:2em;color:#9cf;font-weight:normal}"
          "pre{background:#222;padding:.8em;overflow-x:auto}a{color:#9cf}.warn{color:#fc6}"
          "</style></head><body>\n<h1>bitbrain</h1>\n"
          "<p>An OpenAI-compatible chat server for BitNet b1.58 models. <a href=\"/chat\">Chat in "
          "the browser</a> &middot; <a href=\"/client.py\">client.py</a> &middot; "
          "<a href=\"/metrics\">metrics</a></p>\n";
  if (!figures.load_error.empty()) {
    html << "<p class=\"warn\">The model failed to load: " << EscapeHtml(figures.load_error)
         << "</p>\n";
  } else if (!model) {
    html << "<p class=\"warn\">Loading the model&hellip; (this page refreshes itself)</p>\n";
  } else if (model->facts.is_default) {
    html << "<p class=\"warn\">Serving the built-in default model: a synthetic model with the "
            "2B4T shapes and random weights, so its replies are gibberish. Start the server "
            "with <code>--model ggml-model-i2_s.gguf</code> for the real one.</p>\n";
  }
  html << "<h2>Model</h2><table>\n" << Row("id", figures.model_id);
  if (model) {
    const ModelConfig& config = model->engine.config();
    html << Row("architecture", config.architecture)
         << Row("parameters", Fixed(model->facts.parameters / 1e9, 2) + " billion")
         << Row("file", model->facts.path + " (" + Fixed(model->facts.file_size / 1e9, 2) + " GB)")
         << Row("quantization", model->facts.quantization)
         << Row("layers / hidden / heads",
                std::to_string(config.block_count) + " / " +
                    std::to_string(config.embedding_length) + " / " +
                    std::to_string(config.head_count) + " (" + std::to_string(config.head_count_kv) +
                    " KV)")
         << Row("vocabulary", std::to_string(config.vocab_size))
         << Row("context", std::to_string(model->engine.context_length()) + " tokens per slot");
  }
  html << "</table>\n<h2>Engine</h2><table>\n";
  if (model) {
    const runtime::Engine& engine = model->engine;
    html << Row("kernel variant", kernels::IsaName(engine.isa()))
         << Row("ternary weights", engine.ternary_layout() == kernels::TernaryLayout::kCompact
                                       ? "compact, 1.6-1.7 bits per weight"
                                       : "2 bits per weight")
         << Row("LM head", engine.screened_head_bytes() > 0
                               ? "int8-screened, exact logits for the candidate rows"
                               : "full F16")
         << Row("threads", std::to_string(engine.threads()))
         << Row("build", model->facts.fingerprint)
         << Row("load time", Fixed(figures.load_seconds, 2) + " s");
  }
  html << Row("slots (parallel)", std::to_string(stats.slots))
       << Row("uptime", Fixed(figures.uptime_seconds, 0) + " s") << "</table>\n";
  html << "<h2>Live</h2><table>\n"
       << Row("requests finished", std::to_string(stats.jobs_finished))
       << Row("requests cancelled", std::to_string(stats.jobs_cancelled))
       << Row("active / queued", std::to_string(stats.active) + " / " + std::to_string(stats.queued))
       << Row("prompt tokens (cached)",
              std::to_string(stats.prompt_tokens) + " (" + std::to_string(stats.cached_tokens) + ")")
       << Row("generated tokens", std::to_string(stats.generated_tokens))
       << Row("recent speed", Fixed(stats.recent_tokens_per_second, 1) + " tokens/s (10 s)")
       << Row("KV cache in use", std::to_string(stats.kv_positions) + " of " +
                                     std::to_string(stats.kv_capacity) + " positions")
       << "</table>\n";
  const std::string url = EscapeHtml(figures.public_url);
  const std::string key_header =
      figures.api_key_required ? " \\\n  -H 'Authorization: Bearer $API_KEY'" : "";
  html << "<h2>How to call it</h2>\n<p>curl:</p><pre>curl " << url
       << "/v1/chat/completions -H 'Content-Type: application/json'" << EscapeHtml(key_header)
       << " \\\n  -d '{\"model\": \"" << EscapeHtml(figures.model_id)
       << "\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello!\"}]}'</pre>\n"
       << "<p>Python, standard library only:</p><pre>curl -O " << url
       << "/client.py\npython3 client.py \"What is a ternary weight?\"\n"
          "python3 -c 'import client; print(client.ask(\"Hi\"))'</pre>\n"
       << "<p>The OpenAI SDKs: base URL <code>" << url << "/v1</code>"
       << (figures.api_key_required ? ", your API key" : ", any API key") << ".</p>\n"
       << "</body></html>\n";
  return html.str();
}

std::string MetricsText(const StatusFigures& figures) {
  const SchedulerStats& stats = figures.scheduler;
  std::ostringstream text;
  const auto metric = [&](const char* name, const char* type, const char* help, double value) {
    text << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n'
         << name << ' ' << SampleValue(value) << '\n';
  };
  text << "# HELP bitbrain_http_responses_total HTTP responses by status code.\n"
          "# TYPE bitbrain_http_responses_total counter\n";
  for (const auto& [status, count] : figures.responses_by_status) {
    text << "bitbrain_http_responses_total{code=\"" << status << "\"} " << count << '\n';
  }
  metric("bitbrain_model_ready", "gauge", "1 once the model is loaded.", figures.model ? 1 : 0);
  metric("bitbrain_requests_finished_total", "counter", "Generation and classification jobs finished.",
         static_cast<double>(stats.jobs_finished));
  metric("bitbrain_requests_cancelled_total", "counter", "Jobs whose client went away.",
         static_cast<double>(stats.jobs_cancelled));
  metric("bitbrain_prompt_tokens_total", "counter", "Prompt tokens of finished jobs.",
         static_cast<double>(stats.prompt_tokens));
  metric("bitbrain_prompt_cached_tokens_total", "counter", "Prompt tokens reused from the cache.",
         static_cast<double>(stats.cached_tokens));
  metric("bitbrain_generated_tokens_total", "counter", "Tokens generated.",
         static_cast<double>(stats.generated_tokens));
  metric("bitbrain_generated_tokens_per_second", "gauge", "Generated tokens per second, last 10 s.",
         stats.recent_tokens_per_second);
  metric("bitbrain_head_full_rows_total", "counter",
         "Positions whose every logit the LM head computed.",
         static_cast<double>(stats.head.full_rows));
  metric("bitbrain_head_screened_rows_total", "counter",
         "Positions whose candidate logits the screened LM head computed.",
         static_cast<double>(stats.head.screened_rows));
  metric("bitbrain_queue_depth", "gauge", "Jobs waiting for a slot.", stats.queued);
  metric("bitbrain_active_slots", "gauge", "Slots running a job.", stats.active);
  metric("bitbrain_slots", "gauge", "Slots (--parallel).", stats.slots);
  metric("bitbrain_kv_cache_positions", "gauge", "KV positions held by all slots.",
         static_cast<double>(stats.kv_positions));
  metric("bitbrain_kv_cache_capacity", "gauge", "KV positions of all slots.",
         static_cast<double>(stats.kv_capacity));
  metric("bitbrain_uptime_seconds", "gauge", "Seconds since the server started.",
         figures.uptime_seconds);
  return text.str();
}

}  // namespace bitbrain::serve
