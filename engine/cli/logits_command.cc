// bitbrain logits [--model FILE] --prompt TEXT --out F.npy [--all-positions]:
// the model's logits for a prompt (BOS + text) as a NumPy .npy float32
// array, for comparing with other engines: shape (vocab,) for the last
// position, or (positions, vocab) with --all-positions.
#include <bit>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/cli/commands.h"
#include "engine/cli/model_flags.h"

namespace bitbrain::cli {
namespace {

static_assert(std::endian::native == std::endian::little, ".npy data is written as '<f4'");

struct LogitsOptions {
  ModelFlags model;
  std::string prompt;
  std::string out;
  bool all_positions = false;
};

// A .npy version 1.0 file: magic, header length, a Python dict literal
// padded with spaces to a multiple of 64 bytes and ended by '\n', the data.
void WriteNpy(const std::string& path, const std::vector<size_t>& shape,
              const std::vector<float>& data) {
  std::string shape_text = "(";
  for (const size_t dim : shape) shape_text += std::to_string(dim) + (shape.size() == 1 ? ",)" : ", ");
  if (shape.size() != 1) shape_text.replace(shape_text.size() - 2, 2, ")");
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape_text + ", }";
  const size_t prefix = 10;  // magic (6), version (2), header length (2)
  header.append(63 - (prefix + header.size()) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::runtime_error("cannot write " + path);
  out.write("\x93NUMPY\x01\x00", 8);
  const uint16_t length = static_cast<uint16_t>(header.size());
  out.put(static_cast<char>(length & 0xFF)).put(static_cast<char>(length >> 8));
  out << header;
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size() * sizeof(float)));
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

void Logits(const LogitsOptions& options) {
  const std::unique_ptr<LoadedModel> model = LoadModel(options.model);
  std::vector<int32_t> tokens = {model->tokenizer.special().bos};
  const std::vector<int32_t> text = model->tokenizer.Encode(options.prompt);
  tokens.insert(tokens.end(), text.begin(), text.end());
  if (static_cast<int>(tokens.size()) > model->engine.context_length()) {
    throw std::invalid_argument("the prompt has " + std::to_string(tokens.size()) +
                                " tokens but the context holds " +
                                std::to_string(model->engine.context_length()));
  }
  const size_t vocab = static_cast<size_t>(model->engine.config().vocab_size);
  const int rows = options.all_positions ? static_cast<int>(tokens.size()) : 1;
  std::vector<float> logits(rows * vocab);
  runtime::Sequence sequence = model->engine.NewSequence();
  const runtime::SequenceBatch batch[] = {{&sequence, tokens, rows, logits}};
  model->engine.Forward(batch);
  WriteNpy(options.out,
           options.all_positions ? std::vector<size_t>{tokens.size(), vocab} : std::vector<size_t>{vocab},
           logits);
  std::fprintf(stderr, "wrote %s: %d x %zu logits for %zu tokens\n", options.out.c_str(), rows,
               vocab, tokens.size());
}

}  // namespace

void AddLogitsCommand(CLI::App& app) {
  auto options = std::make_shared<LogitsOptions>();
  CLI::App* command = app.add_subcommand("logits", "Write a prompt's logits as a .npy file");
  AddModelFlags(*command, options->model);
  command->add_option("--prompt,-p", options->prompt, "The prompt (BOS is added)")->required();
  command->add_option("--out,-o", options->out, "The .npy file to write")->required();
  command->add_flag("--all-positions", options->all_positions,
                    "Every position's logits, not only the last");
  command->callback([options] { Logits(*options); });
}

}  // namespace bitbrain::cli
