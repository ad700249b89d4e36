// bitbrain make-model: writes a synthetic bitnet-b1.58 GGUF model
// (engine/synthetic/synthetic_model.h) and prints a one-line summary.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/cli/commands.h"
#include "engine/synthetic/progress_bar.h"
#include "engine/synthetic/synthetic_model.h"

namespace bitbrain::cli {
namespace {

struct MakeModelOptions {
  std::string config;
  uint64_t seed = 1;
  std::string out;
};

// 1179449920 -> "1,179,449,920"
std::string WithThousands(uint64_t n) {
  std::string digits = std::to_string(n);
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<size_t>(at), ",");
  return digits;
}

void MakeModel(const MakeModelOptions& options) {
  const synthetic::SyntheticConfig& config = *synthetic::FindConfig(options.config);
  const auto start = std::chrono::steady_clock::now();
  {
    synthetic::ProgressBar bar("writing " + options.out);
    synthetic::WriteModel(config, options.seed, options.out,
                          [&bar](uint64_t done, uint64_t total) { bar.Update(done, total); });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const synthetic::PlanSummary plan = synthetic::Summarize(synthetic::TensorPlan(config));
  std::printf("wrote %s: config %s, seed %llu, %zu tensors (%zu I2_S, %zu F32, %zu F16), "
              "data section %s bytes, file %s bytes, in %.1f s\n",
              options.out.c_str(), options.config.c_str(), static_cast<unsigned long long>(options.seed),
              plan.tensors, plan.i2s_tensors, plan.f32_tensors, plan.f16_tensors,
              WithThousands(plan.data_bytes).c_str(), WithThousands(std::filesystem::file_size(options.out)).c_str(),
              seconds);
}

}  // namespace

void AddMakeModelCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "make-model",
      "Write a synthetic bitnet-b1.58 GGUF model with trained-looking ternary weights: "
      "tiny (fast tests), small (real LLaMA-3 vocabulary) or 2b4t (the official 2B4T shapes, 1.2 GB)");
  auto options = std::make_shared<MakeModelOptions>();
  std::vector<std::string> names;
  for (const std::string_view name : synthetic::ConfigNames()) names.emplace_back(name);
  command->add_option("--config", options->config, "Model shapes")->required()->check(CLI::IsMember(names));
  command->add_option("--seed", options->seed, "Random seed: the same seed gives the same file")
      ->check([](const std::string& text) {
        uint64_t seed;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
        const bool valid = error == std::errc() && end == text.data() + text.size();
        return valid ? std::string() : "a seed is an integer from 0 to 2^64-1, not " + text;
      })
      ->capture_default_str();
  command->add_option("--out", options->out, "Output GGUF file")->required();
  command->callback([options] { MakeModel(*options); });
}

}  // namespace bitbrain::cli
