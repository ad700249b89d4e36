#include "engine/cli/model_flags.h"

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "engine/gguf/gguf.h"
#include "engine/synthetic/default_model.h"
#include "kernels/isa.h"
#include "kernels/tuning.h"

namespace bitbrain::cli {

void AddModelFlags(CLI::App& command, ModelFlags& flags) {
  command.add_option("--model,-m", flags.model,
                     "GGUF model file (default: the built-in synthetic model, random weights)");
  command.add_option("--threads,-t", flags.threads, "Threads (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  command.add_option("--ctx,-c", flags.context_length, "Context length (default: the model's)")
      ->check(CLI::NonNegativeNumber);
  command.add_option("--isa", flags.isa, "Kernel variant: scalar, avx2, avx512 (default: best)");
  // Same results either way; by default the layout the tuning file measured
  // faster on this CPU (kernels/tuning.h), else the compact one.
  command.add_flag_callback("--compact-weights", [&flags] { flags.compact_weights = true; },
                            "Ternary weights in the compact layout, 1.6-1.7 bits each");
  command.add_flag_callback("--no-compact-weights", [&flags] { flags.compact_weights = false; },
                            "Ternary weights at 2 bits each (the file's own density)");
  command.add_flag("!--no-screened-head", flags.screened_head,
                   "Compute every logit with the full F16 head, never the int8-screened one "
                   "(the tokens are the same; this is slower)");
}

std::string ModelPath(const std::string& model_flag) {
  if (!model_flag.empty()) return model_flag;
  const std::string path = synthetic::EnsureDefaultModel();
  std::fprintf(stderr,
               "bitbrain: no --model given: using the built-in synthetic model %s, whose "
               "weights are random (its text is gibberish)\n",
               path.c_str());
  return path;
}

LoadedModel::LoadedModel(const std::string& path, const runtime::EngineOptions& options)
    : tokenizer(tokenizer::Tokenizer::FromGguf(gguf::File::Open(path))), engine(path, options) {}

runtime::EngineOptions EngineOptionsFrom(const ModelFlags& flags) {
  runtime::EngineOptions options;
  options.threads = flags.threads;
  options.context_length = flags.context_length;
  options.screened_head = flags.screened_head;
  if (!flags.isa.empty()) {
    options.isa = kernels::ParseIsa(flags.isa);
    if (!options.isa) {
      throw std::invalid_argument("unknown --isa " + flags.isa + " (scalar, avx2, avx512)");
    }
  }
  // This CPU's tuning (bazel run //bench:tune) if there is one; a bad file
  // costs speed, not the run.
  std::string note;
  try {
    options = runtime::WithTuning(
        options, kernels::LoadTuning(kernels::DefaultTuningPath(), kernels::CpuModelName(), &note));
  } catch (const kernels::TuningError& e) {
    std::fprintf(stderr, "bitbrain: warning: %s; using the built-in defaults\n", e.what());
  }
  if (flags.compact_weights) options.compact_weights = *flags.compact_weights;
  return options;
}

std::unique_ptr<LoadedModel> LoadModel(const ModelFlags& flags) {
  auto model = std::make_unique<LoadedModel>(ModelPath(flags.model), EngineOptionsFrom(flags));
  const runtime::Engine& engine = model->engine;
  const runtime::LoadStats& load = engine.load_stats();
  std::fprintf(stderr,
               "bitbrain: %s kernels, %d threads, %s ternary weights%s, %s head%s; engine ready in "
               "%.2f s\n",
               kernels::IsaName(engine.isa()), engine.threads(),
               kernels::TernaryLayoutName(engine.ternary_layout()),
               load.from_cache ? " (cached)" : "", engine.screened_head_bytes() > 0 ? "screened" : "full",
               load.screen_from_cache ? " (cached)" : "", load.ready_seconds);
  return model;
}

void AddSamplingFlags(CLI::App& command, generate::SamplingParams& params) {
  command.add_option("--temp", params.temperature, "Temperature; <= 0 is greedy")
      ->capture_default_str();
  command.add_option("--top-k", params.top_k, "Keep the K most likely tokens; 0: all")
      ->capture_default_str();
  command.add_option("--top-p", params.top_p, "Keep the most likely tokens up to mass P; 1: off")
      ->capture_default_str();
  command.add_option("--min-p", params.min_p, "Keep tokens at least P times the best's; 0: off")
      ->capture_default_str();
  command.add_option("--repeat-penalty", params.repeat_penalty, "Repeat penalty; 1: off")
      ->capture_default_str();
  command.add_option("--repeat-last-n", params.penalty_last_n, "Tokens the penalties look at")
      ->capture_default_str();
  command.add_option("--frequency-penalty", params.frequency_penalty, "Frequency penalty")
      ->capture_default_str();
  command.add_option("--presence-penalty", params.presence_penalty, "Presence penalty")
      ->capture_default_str();
  command.add_option("--seed,-s", params.seed, "Random seed")->capture_default_str();
}

}  // namespace bitbrain::cli
