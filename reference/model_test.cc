// Invariants of the reference forward pass, bit for bit: incremental
// decoding equals whole-sequence evaluation, a prefix's logits do not change
// when tokens are appended, and any chunking gives the same bits. On an
// in-memory model (GQA 2:1, three layers) and on the synthetic tiny and small
// models.
#include "reference/model.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "engine/gguf/gguf.h"
#include "reference/test_model.h"

namespace bitbrain::reference {
namespace {

bool BitEqual(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

Matrix Rows(const Matrix& m, int first, int count) { return m.middleRows(first, count); }

// Evaluates tokens in chunks of `chunk` (the last may be shorter), all logits.
Matrix EvaluateInChunks(ReferenceModel& model, const std::vector<int32_t>& tokens, int chunk) {
  model.Reset();
  Matrix logits(static_cast<Eigen::Index>(tokens.size()), model.config().vocab_size);
  for (size_t first = 0; first < tokens.size(); first += chunk) {
    const size_t count = std::min(tokens.size() - first, static_cast<size_t>(chunk));
    logits.middleRows(first, count) =
        model.Forward(std::span(tokens).subspan(first, count), Logits::kAll);
  }
  return logits;
}

std::vector<int32_t> SomeTokens(int count, int vocab) {
  std::vector<int32_t> tokens;
  for (int i = 0; i < count; ++i) tokens.push_back((7 + 13 * i * i) % vocab);
  return tokens;
}

// Checks every invariant against one whole-sequence evaluation (plain
// sequential checks rather than Catch sections, which would redo it each time).
void CheckInvariants(const gguf::File& file, int n_tokens) {
  ReferenceModel model(file);
  const std::vector<int32_t> tokens = SomeTokens(n_tokens, model.config().vocab_size);
  Trace whole_trace;
  const Matrix whole = model.Forward(tokens, Logits::kAll, &whole_trace);
  REQUIRE(model.position() == n_tokens);
  REQUIRE(whole.rows() == n_tokens);
  REQUIRE(whole.cols() == model.config().vocab_size);
  REQUIRE(whole.allFinite());

  // Incremental decoding (one token at a time, last logits) equals the whole sequence.
  model.Reset();
  for (int t = 0; t < n_tokens; ++t) {
    const Matrix last = model.Forward(std::span(tokens).subspan(t, 1), Logits::kLast);
    INFO("incremental decoding, token " << t);
    CHECK(BitEqual(last, Rows(whole, t, 1)));
  }
  // Chunks of 3 and 7 tokens equal evaluating at once (chunks of 1 above).
  for (int chunk : {3, 7}) {
    INFO("chunks of " << chunk);
    CHECK(BitEqual(EvaluateInChunks(model, tokens, chunk), whole));
  }
  // A prefix's logits do not change when tokens are appended.
  for (int prefix : {1, n_tokens / 2}) {
    model.Reset();
    INFO("prefix of " << prefix);
    CHECK(BitEqual(model.Forward(std::span(tokens).first(prefix)), Rows(whole, 0, prefix)));
  }
  // A chunk's trace equals the matching rows of the whole sequence's trace.
  Trace tail;
  model.Reset();
  model.Forward(std::span(tokens).first(3), Logits::kLast);
  const Matrix last = model.Forward(std::span(tokens).subspan(3), Logits::kLast, &tail);
  CHECK(BitEqual(last, Rows(whole, n_tokens - 1, 1)));
  const int rest = n_tokens - 3;
  const int heads = model.config().head_count;
  for (size_t l = 0; l < whole_trace.layers.size(); ++l) {
    const LayerTrace& all = whole_trace.layers[l];
    INFO("trace of layer " << l);
    CHECK(BitEqual(tail.layers[l].attn_norm, Rows(all.attn_norm, 3, rest)));
    CHECK(BitEqual(tail.layers[l].k, Rows(all.k, 3, rest)));
    CHECK(BitEqual(tail.layers[l].probabilities, Rows(all.probabilities, 3 * heads, rest * heads)));
    CHECK(BitEqual(tail.layers[l].attention, Rows(all.attention, 3, rest)));
    CHECK(BitEqual(tail.layers[l].output, Rows(all.output, 3, rest)));
  }
  CHECK(BitEqual(tail.head_input, Rows(whole_trace.head_input, n_tokens - 1, 1)));
}

TestModelShape ThreeLayerShape() {
  TestModelShape shape;
  shape.vocab = 40;
  shape.hidden = 256;
  shape.layers = 3;
  shape.ffn = 384;
  shape.heads = 4;
  shape.kv_heads = 2;
  shape.context = 32;
  return shape;
}

TEST_CASE("Invariants on an in-memory three-layer model") {
  const std::vector<uint8_t> bytes = MakeTestModel(ThreeLayerShape(), 11);
  const gguf::File file = gguf::File::FromBytes(bytes.data(), bytes.size(), "three-layer");
  CheckInvariants(file, 17);
}

TEST_CASE("Invariants on the synthetic tiny model") {
  const gguf::File file = gguf::File::Open("engine/synthetic/tiny.gguf");
  CheckInvariants(file, 17);
}

TEST_CASE("Invariants on the synthetic small model") {
  // The LLaMA-3 vocabulary makes the head slow (128256 rows): fewer tokens.
  const gguf::File file = gguf::File::Open("engine/synthetic/small.gguf");
  CheckInvariants(file, 10);
}

TEST_CASE("Bad input is rejected with a clear error and leaves the cache unchanged") {
  const std::vector<uint8_t> bytes = MakeTestModel(ThreeLayerShape(), 11);
  const gguf::File file = gguf::File::FromBytes(bytes.data(), bytes.size(), "three-layer");
  ReferenceModel model(file);
  const std::vector<int32_t> tokens = {1, 2, 3, 4};
  const Matrix expected = model.Forward(tokens);
  model.Reset();
  model.Forward(std::span(tokens).first(2));

  const std::vector<int32_t> bad_id = {5, 40};
  CHECK_THROWS_WITH(model.Forward(bad_id), Catch::Contains("token id 40") &&
                                               Catch::Contains("outside the vocabulary"));
  const std::vector<int32_t> negative = {-1};
  CHECK_THROWS_AS(model.Forward(negative), std::invalid_argument);
  CHECK_THROWS_WITH(model.Forward(std::span<const int32_t>{}), Catch::Contains("no tokens"));
  const std::vector<int32_t> too_long(31, 1);
  CHECK_THROWS_WITH(model.Forward(too_long), Catch::Contains("exceed the context length 32"));

  CHECK(model.position() == 2);
  CHECK(BitEqual(model.Forward(std::span(tokens).subspan(2)), Rows(expected, 2, 2)));
}

TEST_CASE("An invalid I2_S code is reported when its layer runs; the cache is unchanged") {
  std::vector<uint8_t> bytes = MakeTestModel(ThreeLayerShape(), 11);
  const std::vector<int32_t> tokens = {1, 2, 3};
  Matrix expected;
  {
    const gguf::File file = gguf::File::FromBytes(bytes.data(), bytes.size(), "three-layer");
    expected = ReferenceModel(file).Forward(tokens);
    // Code 3 in the first byte of layer 2's ffn_down.
    const gguf::TensorInfo* down = file.FindTensor("blk.2.ffn_down.weight");
    REQUIRE(down != nullptr);
    bytes[down->data - bytes.data()] = 0xFF;
  }
  const gguf::File file = gguf::File::FromBytes(bytes.data(), bytes.size(), "corrupt");
  ReferenceModel model(file);
  CHECK_THROWS_WITH(model.Forward(tokens),
                    Catch::Contains("blk.2.ffn_down.weight") && Catch::Contains("code 3"));
  CHECK(model.position() == 0);
}

TEST_CASE("An Inf in a token's embedding makes its logits and later ones NaN, not earlier ones") {
  TestModelShape shape = ThreeLayerShape();
  shape.inf_token = 9;
  const std::vector<uint8_t> bytes = MakeTestModel(shape, 11);
  const gguf::File file = gguf::File::FromBytes(bytes.data(), bytes.size(), "inf-token");
  ReferenceModel model(file);
  const std::vector<int32_t> tokens = {1, 2, 9, 3};
  Trace trace;
  const Matrix logits = model.Forward(tokens, Logits::kAll, &trace);
  // The poisoned token quantizes to q = 0 with a NaN or 0 scale: its q, k and
  // v are NaN; later tokens attend to its NaN key and become NaN too.
  CHECK(trace.layers[0].q.row(2).array().isNaN().all());
  CHECK(trace.layers[0].q.row(1).allFinite());
  // The tied head multiplies every token's state by embedding 9 too, so
  // logit 9 is never finite; all others of the earlier tokens are.
  CHECK(logits.topLeftCorner(2, 9).allFinite());
  CHECK(logits.topRightCorner(2, 40 - 10).allFinite());
  CHECK_FALSE(std::isfinite(logits(0, 9)));
  CHECK(logits.bottomRows(2).array().isNaN().all());
}

}  // namespace
}  // namespace bitbrain::reference
