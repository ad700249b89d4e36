// bitbrain tokenize [--model FILE] (TEXT | --file F) [--ids-only] [--no-bos]:
// the token ids of a text and the piece each stands for, as llama-tokenize
// prints them. BOS comes first, as the engine feeds a prompt to the model.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>

#include "engine/cli/commands.h"
#include "engine/cli/model_flags.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace bitbrain::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string text;
  std::string file;
  bool ids_only = false;
  bool no_bos = false;
};

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void Tokenize(const TokenizeOptions& options, std::ostream& out) {
  const gguf::File file = gguf::File::Open(ModelPath(options.model));
  const tokenizer::Tokenizer tokenizer = tokenizer::Tokenizer::FromGguf(file);
  std::vector<int32_t> ids;
  if (!options.no_bos) ids.push_back(tokenizer.special().bos);
  const std::vector<int32_t> text_ids =
      tokenizer.Encode(options.file.empty() ? options.text : ReadTextFile(options.file));
  ids.insert(ids.end(), text_ids.begin(), text_ids.end());

  if (options.ids_only) {  // a Python list, as llama-tokenize --ids
    out << '[';
    for (size_t i = 0; i < ids.size(); ++i) out << (i ? ", " : "") << ids[i];
    out << "]\n";
    return;
  }
  for (const int32_t id : ids) {
    const std::string number = std::to_string(id);
    out << std::string(number.size() < 6 ? 6 - number.size() : 0, ' ') << number << " -> '"
        << tokenizer::EscapeForDisplay(tokenizer.TokenBytes(id)) << "'\n";
  }
}

}  // namespace

void AddTokenizeCommand(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* command = app.add_subcommand(
      "tokenize", "Print the tokens of a text: ids and the pieces they stand for");
  command->add_option("--model,-m", options->model,
                      "GGUF model file (default: the built-in synthetic model)");
  CLI::Option* text = command->add_option("text", options->text, "The text to tokenize");
  CLI::Option* file = command->add_option("--file,-f", options->file, "Tokenize this file's bytes");
  text->excludes(file);
  command->add_flag("--ids-only", options->ids_only, "Print only the ids, as a list");
  command->add_flag("--no-bos", options->no_bos, "Do not start with <|begin_of_text|>");
  command->callback([options, text, file] {
    if (text->count() == 0 && file->count() == 0) {
      throw std::runtime_error("tokenize: give a TEXT or --file F");
    }
    Tokenize(*options, std::cout);
  });
}

}  // namespace bitbrain::cli
