// bitbrain inspect FILE: what a GGUF file holds, in the manner of gguf-dump:
// the header, the metadata (long arrays summarised), every tensor with its
// type, shape, bytes and offset, totals per type and, for a bitnet model,
// the model config that the engine would run.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "engine/cli/commands.h"
#include "engine/gguf/gguf.h"
#include "engine/model/bitnet_model.h"

namespace bitbrain::cli {
namespace {

using gguf::Value;
using gguf::ValueType;

constexpr size_t kArrayItemsShown = 6;    // of a longer array, the first few
constexpr size_t kStringCharsShown = 60;  // of a longer string

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kStringCharsShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (s.size() > kStringCharsShown) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

// Shortest text that reads back as the same number: 500000, 0.25, 1e-05.
template <typename Float>
std::string ShortestFloat(Float f) {
  const Float magnitude = std::fabs(f);
  const bool plain = magnitude == 0 || (magnitude >= Float(1e-4) && magnitude < Float(1e9));
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, f,
                                    plain ? std::chars_format::fixed : std::chars_format::scientific);
  return std::string(buffer, result.ptr);
}

std::string ScalarText(const Value::Scalar& scalar) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return Quote(x);
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_floating_point_v<T>) return ShortestFloat(x);
        else return std::to_string(x);
      },
      scalar);
}

// "u32", or "[string] x 128256" for an array.
std::string TypeText(const Value& v) {
  if (!v.is_array()) return std::string(gguf::ValueTypeName(v.type));
  return "[" + std::string(gguf::ValueTypeName(v.element_type)) + "] x " + std::to_string(v.elements.size());
}

std::string ValueText(const Value& v) {
  if (!v.is_array()) return ScalarText(v.scalar);
  std::string out = "[";
  for (size_t i = 0; i < v.elements.size() && i < kArrayItemsShown; ++i) {
    if (i > 0) out += ", ";
    out += ScalarText(v.elements[i]);
  }
  if (v.elements.size() > kArrayItemsShown) out += ", ...";
  return out + "]";
}

std::string ShapeText(const gguf::TensorInfo& t) {
  std::string out = "[";
  for (uint32_t d = 0; d < t.n_dims; ++d) {
    if (d > 0) out += ", ";
    out += std::to_string(t.ne[d]);
  }
  return out + "]";
}

std::string TypeName(gguf::TensorType type) {
  return std::string(gguf::TensorTypeName(static_cast<uint32_t>(type)).value_or("?"));
}

void PrintModel(const gguf::File& file, std::ostream& out) {
  const Value* arch = file.Find("general.architecture");
  const std::string* arch_name = arch != nullptr ? gguf::AsString(*arch) : nullptr;
  if (arch_name == nullptr || (*arch_name != "bitnet-b1.58" && *arch_name != "bitnet-25")) {
    out << "\nModel: not a bitnet-b1.58 model (general.architecture = "
        << (arch_name != nullptr ? Quote(*arch_name) : "missing") << ")\n";
    return;
  }
  try {
    const BitnetModel model = BitnetModel::FromFile(file);
    const ModelConfig& c = model.config;
    out << "\nModel: " << c.architecture << "\n"
        << "  vocab_size          " << c.vocab_size << "\n"
        << "  context_length      " << c.context_length << "\n"
        << "  embedding_length    " << c.embedding_length << "\n"
        << "  block_count         " << c.block_count << "\n"
        << "  feed_forward_length " << c.feed_forward_length << "\n"
        << "  head_count          " << c.head_count << " (kv " << c.head_count_kv << ", head_dim " << c.head_dim
        << ")\n"
        << "  rms_epsilon         " << ShortestFloat(c.rms_epsilon) << "\n"
        << "  rope_freq_base      " << ShortestFloat(c.rope_freq_base) << "\n"
        << "  lm head             "
        << (model.tensors.output == model.tensors.token_embd ? "tied to token_embd.weight" : "output.weight")
        << "\n";
  } catch (const gguf::GgufError& e) {
    out << "\nModel: INVALID: " << e.what() << "\n";
  }
}

void Inspect(const std::string& path, std::ostream& out) {
  const gguf::File file = gguf::File::Open(path);
  out << "GGUF file " << path << "\n"
      << "  version       " << file.version() << "\n"
      << "  alignment     " << file.alignment() << "\n"
      << "  metadata      " << file.metadata().size() << " entries\n"
      << "  tensors       " << file.tensors().size() << "\n"
      << "  data section  " << file.data_size() << " bytes at offset " << file.data_offset() << "\n"
      << "  file size     " << file.file_size() << " bytes\n";

  out << "\nMetadata (" << file.metadata().size() << " entries):\n";
  char line[512];
  for (size_t i = 0; i < file.metadata().size(); ++i) {
    const auto& [key, value] = file.metadata()[i];
    std::snprintf(line, sizeof line, "  %4zu  %-20s  ", i, TypeText(value).c_str());
    out << line << key << " = " << ValueText(value) << "\n";
  }

  out << "\nTensors (" << file.tensors().size() << "):\n";
  std::snprintf(line, sizeof line, "  %4s  %-5s  %-18s  %12s  %12s  %s\n", "#", "type", "shape", "bytes", "offset",
                "name");
  out << line;
  struct Total {
    size_t count = 0;
    uint64_t bytes = 0;
  };
  std::map<uint32_t, Total> totals;  // by type id, in id order
  Total all;
  for (size_t i = 0; i < file.tensors().size(); ++i) {
    const gguf::TensorInfo& t = file.tensors()[i];
    std::snprintf(line, sizeof line, "  %4zu  %-5s  %-18s  %12llu  %12llu  ", i, TypeName(t.type).c_str(),
                  ShapeText(t).c_str(), static_cast<unsigned long long>(t.n_bytes),
                  static_cast<unsigned long long>(t.offset));
    out << line << t.name << "\n";
    Total& total = totals[static_cast<uint32_t>(t.type)];
    ++total.count;
    total.bytes += t.n_bytes;
    ++all.count;
    all.bytes += t.n_bytes;
  }

  out << "\nTotals:\n";
  for (const auto& [type, total] : totals) {
    std::snprintf(line, sizeof line, "  %-5s  %6zu tensors  %14llu bytes\n",
                  TypeName(static_cast<gguf::TensorType>(type)).c_str(), total.count,
                  static_cast<unsigned long long>(total.bytes));
    out << line;
  }
  std::snprintf(line, sizeof line, "  %-5s  %6zu tensors  %14llu bytes (data section %llu bytes with padding)\n",
                "all", all.count, static_cast<unsigned long long>(all.bytes),
                static_cast<unsigned long long>(file.data_size()));
  out << line;

  PrintModel(file, out);
}

}  // namespace

void AddInspectCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "inspect", "Show what a GGUF file holds: header, metadata, tensors (type, shape, bytes, offset), "
                 "totals per type and, for a bitnet model, its config");
  auto path = std::make_shared<std::string>();
  command->add_option("FILE", *path, "GGUF file")->required();
  command->callback([path] { Inspect(*path, std::cout); });
}

}  // namespace bitbrain::cli
