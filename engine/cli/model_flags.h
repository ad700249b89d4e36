// What the commands that run a model share: the flags choosing the model and
// how it runs (--model, --threads, --ctx, --isa, --no-compact-weights,
// --no-screened-head), loading it (the built-in default model when --model
// is not given) and the sampling flags.
#ifndef BITBRAIN_ENGINE_CLI_MODEL_FLAGS_H_
#define BITBRAIN_ENGINE_CLI_MODEL_FLAGS_H_

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "engine/generate/sampler.h"
#include "engine/runtime/engine.h"
#include "engine/tokenizer/tokenizer.h"

namespace bitbrain::cli {

struct ModelFlags {
  std::string model;  // empty: the built-in default model
  int threads = 0;
  int context_length = 0;
  std::string isa;  // empty: the best this CPU runs
  // --compact-weights / --no-compact-weights; unset: the tuning file's
  // layout for the thread count if it has one, else compact.
  std::optional<bool> compact_weights;
  bool screened_head = true;  // runtime::EngineOptions::screened_head
};

void AddModelFlags(CLI::App& command, ModelFlags& flags);

// The model file --model names; without it, the built-in default model (made
// if missing), with a one-line notice on stderr that its weights are random.
std::string ModelPath(const std::string& model_flag);

// The engine options the flags ask for, with this CPU's tuning file
// (kernels/tuning.h) if there is one. Throws std::invalid_argument for an
// unknown --isa.
runtime::EngineOptions EngineOptionsFrom(const ModelFlags& flags);

// A model ready to run: its engine and its tokenizer.
struct LoadedModel {
  LoadedModel(const std::string& path, const runtime::EngineOptions& options);
  tokenizer::Tokenizer tokenizer;
  runtime::Engine engine;
};

// Loads the model the flags name. Without --model, makes sure the default
// model exists and says on stderr, in one line, that its weights are random.
std::unique_ptr<LoadedModel> LoadModel(const ModelFlags& flags);

// --temp, --top-k, --top-p, --min-p, --repeat-penalty, --repeat-last-n,
// --frequency-penalty, --presence-penalty, --seed.
void AddSamplingFlags(CLI::App& command, generate::SamplingParams& params);

}  // namespace bitbrain::cli

#endif  // BITBRAIN_ENGINE_CLI_MODEL_FLAGS_H_
