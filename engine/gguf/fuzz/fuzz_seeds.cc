#include "engine/gguf/fuzz/fuzz_seeds.h"

#include "engine/gguf/gguf.h"
#include "engine/model/test_model.h"

namespace bitbrain::fuzz {
namespace {

using gguf::TensorType;
using gguf::Value;
using gguf::ValueType;

Value ScalarValue(ValueType type, Value::Scalar s) {
  Value v;
  v.type = type;
  v.scalar = std::move(s);
  return v;
}

// One entry of every value type, arrays, and a tensor of every supported type.
std::vector<uint8_t> EveryType(uint32_t alignment) {
  gguf::Writer w;
  if (alignment != 0) w.AddU32("general.alignment", alignment);
  w.AddValue("u8", ScalarValue(ValueType::kU8, uint8_t{1}));
  w.AddValue("i8", ScalarValue(ValueType::kI8, int8_t{-1}));
  w.AddValue("u16", ScalarValue(ValueType::kU16, uint16_t{2}));
  w.AddValue("i16", ScalarValue(ValueType::kI16, int16_t{-2}));
  w.AddU32("u32", 3);
  w.AddValue("i32", ScalarValue(ValueType::kI32, int32_t{-3}));
  w.AddF32("f32", 0.5f);
  w.AddBool("bool", true);
  w.AddString("string", "text");
  w.AddValue("u64", ScalarValue(ValueType::kU64, uint64_t{4}));
  w.AddValue("i64", ScalarValue(ValueType::kI64, int64_t{-4}));
  w.AddValue("f64", ScalarValue(ValueType::kF64, 0.25));
  w.AddStringArray("strings", {"a", "bc", ""});
  w.AddI32Array("ints", {1, -2, 3});
  const std::vector<uint8_t> f32(4 * 4, 0x3f), f16(2 * 8, 0x3c), i2s(128 / 4 + 32, 0x55);
  w.AddTensor("f32", {4}, TensorType::kF32, f32);
  w.AddTensor("f16", {4, 2}, TensorType::kF16, f16);
  w.AddTensor("i2s", {128}, TensorType::kI2_S, i2s);
  return w.Serialize();
}

}  // namespace

std::vector<Seed> FuzzSeeds() {
  testing::TestModel model;
  model.block_count = 1;
  model.feed_forward_length = 128;
  model.vocab_size = 4;
  testing::TestModel bitnet25 = model;
  bitnet25.architecture = "bitnet-25";
  bitnet25.output_weight = true;
  return {
      {"bitnet_model", model.Serialize()},
      {"bitnet25_model_with_output", bitnet25.Serialize()},
      {"every_type", EveryType(0)},
      {"every_type_aligned_8", EveryType(8)},
      {"empty", gguf::Writer().Serialize()},
  };
}

}  // namespace bitbrain::fuzz
