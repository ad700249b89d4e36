// bitbrain inspect on small models written to a temporary file.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "engine/cli/commands.h"
#include "engine/model/test_model.h"

namespace bitbrain::cli {
namespace {

// Runs `bitbrain inspect` on the bytes (written to a file) and returns stdout.
std::string InspectOutput(const std::vector<uint8_t>& bytes) {
  const std::string path =
      std::filesystem::temp_directory_path() / ("inspect_test_" + std::to_string(getpid()) + ".gguf");
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                              static_cast<std::streamsize>(bytes.size()));
  CLI::App app;
  AddInspectCommand(app);
  std::ostringstream captured;
  std::streambuf* original = std::cout.rdbuf(captured.rdbuf());
  try {
    app.parse(std::vector<std::string>{path, "inspect"});  // CLI11 takes them reversed
  } catch (...) {
    std::cout.rdbuf(original);
    std::filesystem::remove(path);
    throw;
  }
  std::cout.rdbuf(original);
  std::filesystem::remove(path);
  return captured.str();
}

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_CASE("inspect shows header, metadata, tensors, totals and the model") {
  testing::TestModel spec;  // 2 layers: 2 + 22 tensors
  spec.vocab_size = 20;     // tokenizer.ggml.tokens has 20 entries: summarised
  const std::string out = InspectOutput(spec.Serialize());
  INFO(out);
  CHECK(Has(out, "  version       3\n"));
  CHECK(Has(out, "  alignment     32\n"));
  CHECK(Has(out, "  tensors       24\n"));
  CHECK(Has(out, "string                general.architecture = \"bitnet-b1.58\"\n"));
  CHECK(Has(out, "u32                   bitnet-b1.58.embedding_length = 128\n"));
  CHECK(Has(out, "f32                   bitnet-b1.58.attention.layer_norm_rms_epsilon = 1e-05\n"));
  CHECK(Has(out, "[string] x 20         tokenizer.ggml.tokens = [\"t0\", \"t1\", \"t2\", \"t3\", \"t4\", \"t5\", ...]\n"));
  // token_embd: F16 [128, 20] = 5120 bytes at offset 0.
  CHECK(Has(out, "F16    [128, 20]                   5120             0  token_embd.weight\n"));
  // blk.0.attn_k: I2_S [128, 64] = 8192 / 4 + 32 = 2080 bytes.
  CHECK(Has(out, "I2_S   [128, 64]                   2080"));
  // F32: output_norm + 4 norms per layer = 9; I2_S: 7 per layer = 14; F16: 1.
  CHECK(Has(out, "  F32         9 tensors            5632 bytes\n"));
  CHECK(Has(out, "  F16         1 tensors            5120 bytes\n"));
  CHECK(Has(out, "  I2_S       14 tensors"));
  CHECK(Has(out, "  all        24 tensors"));
  CHECK(Has(out, "Model: bitnet-b1.58\n"));
  CHECK(Has(out, "  head_count          2 (kv 1, head_dim 64)\n"));
  CHECK(Has(out, "  rope_freq_base      500000\n"));
  CHECK(Has(out, "  lm head             tied to token_embd.weight\n"));
}

TEST_CASE("inspect names what is wrong with an invalid bitnet model") {
  testing::TestModel spec;
  spec.omit = {"blk.1.ffn_up.weight"};
  const std::string out = InspectOutput(spec.Serialize());
  CHECK(Has(out, "Model: INVALID: "));
  CHECK(Has(out, "missing tensor 'blk.1.ffn_up.weight'"));
}

TEST_CASE("inspect on a file that is not GGUF fails with the reader's error") {
  const std::vector<uint8_t> junk = {'n', 'o', 't', ' ', 'g', 'g', 'u', 'f'};
  CHECK_THROWS_WITH(InspectOutput(junk), Catch::Contains("at byte 0: not a GGUF file"));
}

}  // namespace
}  // namespace bitbrain::cli
