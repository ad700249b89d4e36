// Small bitnet-b1.58 GGUF images built in memory, for tests and fuzz seeds.
// Every knob that a test of the model layer needs to break is here: leave a
// key or tensor out, change a shape or a type, rename the architecture.
#ifndef BITBRAIN_ENGINE_MODEL_TEST_MODEL_H_
#define BITBRAIN_ENGINE_MODEL_TEST_MODEL_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"

namespace bitbrain::testing {

struct TestModel {
  std::string architecture = "bitnet-b1.58";
  uint32_t vocab_size = 8;
  uint32_t embedding_length = 128;
  uint32_t block_count = 2;
  uint32_t feed_forward_length = 256;
  uint32_t head_count = 2;
  uint32_t head_count_kv = 1;
  uint32_t head_dim = 64;  // <arch>.rope.dimension_count
  bool output_weight = false;  // an untied LM head

  std::set<std::string> omit;                           // keys and tensor names left out
  std::map<std::string, std::vector<uint64_t>> shapes;  // tensor name -> ne
  std::map<std::string, gguf::TensorType> types;        // tensor name -> type
  std::map<std::string, uint32_t> u32_keys;             // u32 key -> value written instead
  std::map<std::string, float> f32_keys;                // f32 key -> value written instead

  // The names of every tensor the model has, in file order.
  std::vector<std::string> TensorNames() const;
  std::vector<uint8_t> Serialize() const;
};

}  // namespace bitbrain::testing

#endif  // BITBRAIN_ENGINE_MODEL_TEST_MODEL_H_
