// The model the server serves: its engine, tokenizer and scheduler, and what
// the status page and the API say about it.
#ifndef BITBRAIN_SERVE_SERVED_MODEL_H_
#define BITBRAIN_SERVE_SERVED_MODEL_H_

#include <cstdint>
#include <string>

#include "engine/runtime/engine.h"
#include "engine/tokenizer/tokenizer.h"
#include "serve/scheduler.h"

namespace bitbrain::serve {

struct ModelFacts {
  std::string path;
  std::string id;  // the file's name: what /v1/models lists
  bool is_default = false;  // the built-in synthetic model (random weights)
  uint64_t file_size = 0;
  uint64_t parameters = 0;
  std::string quantization;  // tensor types by share of the bytes
  // Identifies engine build and model file: "bitbrain-<isa>-<hash>", the
  // hash over the file's first MiB (header, metadata) and its size.
  std::string fingerprint;
};

struct ServedModel {
  // Throws what loading throws (gguf::GgufError, tokenizer::TokenizerError,
  // std::invalid_argument, std::runtime_error).
  ServedModel(const std::string& path, bool is_default, const runtime::EngineOptions& engine,
              const SchedulerOptions& scheduler_options);

  ModelFacts facts;
  tokenizer::Tokenizer tokenizer;
  runtime::Engine engine;
  Scheduler scheduler;  // last: its thread uses the engine
};

}  // namespace bitbrain::serve

#endif  // BITBRAIN_SERVE_SERVED_MODEL_H_
