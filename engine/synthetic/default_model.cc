#include "engine/synthetic/default_model.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "engine/synthetic/progress_bar.h"
#include "engine/synthetic/synthetic_model.h"

namespace bitbrain::synthetic {
namespace {

constexpr std::string_view kConfig = "2b4t";
constexpr uint64_t kSeed = 1;
// Part of the file name: bump it when the generator's output changes, so a
// stale cached model is not reused.
constexpr int kGeneratorVersion = 1;

}  // namespace

std::string DefaultModelPath() {
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
  const std::filesystem::path root = workspace != nullptr ? workspace : ".";
  return (root / "models" /
          ("synthetic-" + std::string(kConfig) + "-seed" + std::to_string(kSeed) + "-v" +
           std::to_string(kGeneratorVersion) + ".gguf"))
      .string();
}

std::string EnsureDefaultModel() {
  const std::string path = DefaultModelPath();
  if (std::filesystem::exists(path)) return path;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::fprintf(stderr, "bitbrain: generating the default model %s (once)\n", path.c_str());
  ProgressBar bar("default model");
  WriteModel(*FindConfig(kConfig), kSeed, path, [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); });
  return path;
}

}  // namespace bitbrain::synthetic
