#include "bench/e2e_workloads.h"

#include <catch2/catch.hpp>
#include <stdexcept>

#include "engine/gguf/gguf.h"

namespace bitbrain::bench {
namespace {

constexpr const char* kTiny = "engine/synthetic/tiny.gguf";

TEST_CASE("workload names") {
  const std::vector<Workload> w = ParseWorkloads("pp128,tg64,b4-tg32");
  REQUIRE(w.size() == 3);
  CHECK((w[0].is_prefill() && w[0].prompt_tokens == 128 && w[0].tokens() == 128 && w[0].positions() == 128));
  CHECK((!w[1].is_prefill() && w[1].steps == 64 && w[1].sequences == 1 && w[1].positions() == 65));
  CHECK((w[2].steps == 32 && w[2].sequences == 4 && w[2].tokens() == 128 && w[2].name == "b4-tg32"));
  CHECK(StandardWorkloads().size() == 5);
  // At a depth: the context before the timed part.
  const std::vector<Workload> deep = ParseWorkloads("tg32@d100,pp16@d8,b2-tg4@d10");
  REQUIRE(deep.size() == 3);
  CHECK((deep[0].steps == 32 && deep[0].depth == 100 && deep[0].context_tokens() == 100 &&
         deep[0].positions() == 132 && deep[0].tokens() == 32 && deep[0].name == "tg32@d100"));
  CHECK((deep[1].is_prefill() && deep[1].prompt_tokens == 16 && deep[1].context_tokens() == 8 &&
         deep[1].positions() == 24 && deep[1].tokens() == 16));
  CHECK((deep[2].sequences == 2 && deep[2].steps == 4 && deep[2].positions() == 14));
  CHECK((w[0].depth == 0 && w[0].context_tokens() == 0 && w[1].context_tokens() == 1));
  for (const char* bad : {"", "pp", "tg0", "b4", "pp128,", "x4-tg3", "b0-tg4", "tg4@d0", "tg4@d",
                          "tg4@", "@d4", "tg4@d4@d4"}) {
    INFO(bad);
    CHECK_THROWS_AS(ParseWorkloads(bad), std::invalid_argument);
  }
}

TEST_CASE("traffic comes from the model's tensors") {
  // The official format's path: 2-bit weights, the full F16 head.
  runtime::Engine engine(kTiny, {.threads = 1, .compact_weights = false, .screened_head = false});
  const ModelTraffic traffic = MeasureTraffic(kTiny, engine);
  // Independently: every I2_S tensor's elements are one MAC per token.
  const gguf::File file = gguf::File::Open(kTiny);
  double ternary_elements = 0, f16_bytes = 0;
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (t.type == gguf::TensorType::kI2_S) ternary_elements += t.n_elements;
    if (t.type == gguf::TensorType::kF16) f16_bytes = std::max(f16_bytes, double(t.n_bytes));
  }
  CHECK(traffic.ternary_macs_per_token == ternary_elements);
  const ModelConfig& c = engine.config();
  CHECK(traffic.head_macs_per_logits_row == double(c.vocab_size) * c.embedding_length);
  // At least the packed ternary weights (2 bits each) and the f16 head.
  CHECK(traffic.weight_bytes_per_step >= ternary_elements / 4 + f16_bytes);
  CHECK(traffic.weight_bytes_per_step < ternary_elements / 4 + f16_bytes + 1e6);
  // The compact layout and the screened head read fewer bytes.
  runtime::Engine fewer_bytes(kTiny, {.threads = 1});
  CHECK(MeasureTraffic(kTiny, fewer_bytes).weight_bytes_per_step <
        traffic.weight_bytes_per_step - ternary_elements / 4 * 0.15);
  // Batching shares the weights, not the KV cache.
  const Workload one = ParseWorkloads("tg8").front(), four = ParseWorkloads("b4-tg8").front();
  CHECK(traffic.DecodeBytesPerToken(one) - traffic.DecodeBytesPerToken(four) ==
        Approx(traffic.weight_bytes_per_step * 0.75));
  CHECK(traffic.PrefillMacs(ParseWorkloads("pp3").front()) ==
        3 * traffic.ternary_macs_per_token + traffic.head_macs_per_logits_row);
  // Each step at depth 100 reads the keys and values of 99 more positions
  // than after the one-token context of plain tgN.
  CHECK(traffic.DecodeBytesPerToken(ParseWorkloads("tg8@d100").front()) -
            traffic.DecodeBytesPerToken(one) ==
        Approx(traffic.kv_bytes_per_position * 99));
}

TEST_CASE("workloads run and leave the engine usable") {
  runtime::Engine engine(kTiny, {.threads = 2, .context_length = 64});
  for (const Workload& w : ParseWorkloads("pp40,tg20,b3-tg10,pp10@d50,tg10@d50,b2-tg5@d40")) {
    INFO(w.name);
    CHECK(RunWorkload(engine, w) > 0);
  }
  // More positions than the context: the engine's clear error.
  for (const char* name : {"pp65", "tg10@d55", "pp10@d55"}) {
    INFO(name);
    CHECK_THROWS_AS(RunWorkload(engine, ParseWorkloads(name).front()), std::invalid_argument);
  }
}

}  // namespace
}  // namespace bitbrain::bench
