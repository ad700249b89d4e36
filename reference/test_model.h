// Small BitNet b1.58 models built in memory for the reference's tests: any
// legal shape, random but well-scaled weights (activations of order 1 at
// every layer), fixed by a seed.
#ifndef BITBRAIN_REFERENCE_TEST_MODEL_H_
#define BITBRAIN_REFERENCE_TEST_MODEL_H_

#include <cstdint>
#include <vector>

namespace bitbrain::reference {

struct TestModelShape {
  int vocab = 16;
  int hidden = 128;  // a multiple of 128 (I2_S rows)
  int layers = 1;
  int ffn = 128;     // a multiple of 128
  int heads = 2;
  int kv_heads = 1;
  int context = 64;
  float rms_epsilon = 1e-5f;
  float rope_freq_base = 10000.0f;
  // If >= 0, this token's embedding holds +Inf in its first element.
  int inf_token = -1;
};

// The bytes of a complete bitnet-b1.58 GGUF file (open with
// gguf::File::FromBytes). Ternary weights are uniform over {-1, 0, +1} with
// scale 1 / sqrt(2/3 * inputs), so each BitLinear keeps the rms of its
// input; embeddings are standard normal (as f16); norm weights lie in
// [0.8, 1.2].
std::vector<uint8_t> MakeTestModel(const TestModelShape& shape, uint32_t seed);

}  // namespace bitbrain::reference

#endif  // BITBRAIN_REFERENCE_TEST_MODEL_H_
