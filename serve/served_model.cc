#include "serve/served_model.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "engine/gguf/gguf.h"
#include "kernels/isa.h"

namespace bitbrain::serve {
namespace {

// FNV-1a over the file's first MiB, then its size: cheap, and it changes
// with the metadata and any re-quantization (tensor types and offsets).
std::string FileHash(const std::string& path, uint64_t size) {
  std::ifstream file(path, std::ios::binary);
  std::vector<char> head(1 << 20);
  file.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(file.gcount()));
  uint64_t hash = 0xcbf29ce484222325u;
  const auto mix = [&](uint8_t byte) { hash = (hash ^ byte) * 0x100000001b3u; };
  for (const char byte : head) mix(static_cast<uint8_t>(byte));
  for (int i = 0; i < 8; ++i) mix(static_cast<uint8_t>(size >> (8 * i)));
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return hex;
}

ModelFacts ReadFacts(const gguf::File& file, bool is_default) {
  ModelFacts facts;
  facts.path = file.path();
  facts.id = std::filesystem::path(file.path()).filename().string();
  facts.is_default = is_default;
  facts.file_size = file.file_size();
  std::map<std::string, uint64_t> bytes_by_type;
  for (const gguf::TensorInfo& tensor : file.tensors()) {
    facts.parameters += tensor.n_elements;
    const auto name = gguf::TensorTypeName(static_cast<uint32_t>(tensor.type));
    bytes_by_type[std::string(name.value_or("?"))] += tensor.n_bytes;
  }
  std::vector<std::pair<uint64_t, std::string>> shares;
  uint64_t total = 0;
  for (const auto& [type, bytes] : bytes_by_type) {
    shares.emplace_back(bytes, type);
    total += bytes;
  }
  std::sort(shares.rbegin(), shares.rend());
  for (const auto& [bytes, type] : shares) {
    if (!facts.quantization.empty()) facts.quantization += ", ";
    facts.quantization += type + " " + std::to_string(total ? 100 * bytes / total : 0) + "%";
  }
  return facts;
}

}  // namespace

ServedModel::ServedModel(const std::string& path, bool is_default,
                         const runtime::EngineOptions& engine_options,
                         const SchedulerOptions& scheduler_options)
    : facts(ReadFacts(gguf::File::Open(path), is_default)),
      tokenizer(tokenizer::Tokenizer::FromGguf(gguf::File::Open(path))),
      engine(path, engine_options),
      scheduler(engine, tokenizer, scheduler_options) {
  facts.fingerprint = std::string("bitbrain-") + kernels::IsaName(engine.isa()) + "-" +
                      FileHash(path, facts.file_size);
  if (tokenizer.vocab_size() != engine.config().vocab_size) {
    throw std::invalid_argument(path + ": the tokenizer has " +
                                std::to_string(tokenizer.vocab_size()) + " tokens but the model " +
                                std::to_string(engine.config().vocab_size));
  }
}

}  // namespace bitbrain::serve
