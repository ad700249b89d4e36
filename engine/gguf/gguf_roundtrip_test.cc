// read(write(x)) == x for every value type, arrays, alignments and tensors of
// every supported type; the file writer's atomic write and progress reports.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "engine/gguf/gguf.h"

namespace bitbrain::gguf {
namespace {

Value Scalar(ValueType type, Value::Scalar s) {
  Value v;
  v.type = type;
  v.scalar = std::move(s);
  return v;
}

Value Array(ValueType element_type, std::vector<Value::Scalar> elements) {
  Value v;
  v.type = ValueType::kArray;
  v.element_type = element_type;
  v.elements = std::move(elements);
  return v;
}

// One value of every scalar type at the edges of its range, and arrays of each.
std::vector<std::pair<std::string, Value>> AllValues() {
  using L8 = std::numeric_limits<int8_t>;
  using L16 = std::numeric_limits<int16_t>;
  using L32 = std::numeric_limits<int32_t>;
  using L64 = std::numeric_limits<int64_t>;
  return {
      {"u8", Scalar(ValueType::kU8, uint8_t{255})},
      {"i8", Scalar(ValueType::kI8, int8_t{L8::min()})},
      {"u16", Scalar(ValueType::kU16, uint16_t{65535})},
      {"i16", Scalar(ValueType::kI16, int16_t{L16::min()})},
      {"u32", Scalar(ValueType::kU32, uint32_t{4000000000u})},
      {"i32", Scalar(ValueType::kI32, int32_t{L32::min()})},
      {"f32", Scalar(ValueType::kF32, -1.5e-7f)},
      {"bool.true", Scalar(ValueType::kBool, true)},
      {"bool.false", Scalar(ValueType::kBool, false)},
      {"string", Scalar(ValueType::kString, std::string("h\xc3\xa9llo\0world", 12))},
      {"string.empty", Scalar(ValueType::kString, std::string())},
      {"u64", Scalar(ValueType::kU64, uint64_t{0xFEDCBA9876543210ull})},
      {"i64", Scalar(ValueType::kI64, int64_t{L64::min()})},
      {"f64", Scalar(ValueType::kF64, 3.141592653589793)},
      {"array.u8", Array(ValueType::kU8, {uint8_t{0}, uint8_t{1}, uint8_t{255}})},
      {"array.i8", Array(ValueType::kI8, {int8_t{-128}, int8_t{127}})},
      {"array.u16", Array(ValueType::kU16, {uint16_t{1}, uint16_t{65535}})},
      {"array.i16", Array(ValueType::kI16, {int16_t{-2}})},
      {"array.u32", Array(ValueType::kU32, {uint32_t{7}, uint32_t{0xFFFFFFFFu}})},
      {"array.i32", Array(ValueType::kI32, {int32_t{-1}, int32_t{L32::max()}})},
      {"array.f32", Array(ValueType::kF32, {0.0f, -0.0f, std::numeric_limits<float>::infinity()})},
      {"array.bool", Array(ValueType::kBool, {true, false, true})},
      {"array.string", Array(ValueType::kString, {std::string("a"), std::string(), std::string(300, 'x')})},
      {"array.u64", Array(ValueType::kU64, {uint64_t{0}, ~uint64_t{0}})},
      {"array.i64", Array(ValueType::kI64, {int64_t{L64::max()}})},
      {"array.f64", Array(ValueType::kF64, {1e300, -5e-324})},
      {"array.empty", Array(ValueType::kString, {})},
  };
}

// Distinct, recognisable bytes for a tensor.
std::vector<uint8_t> PatternBytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> bytes(n);
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(seed + 37 * i + (i >> 8));
  return bytes;
}

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> ne;
  TensorType type;
  std::vector<uint8_t> bytes;
};

std::vector<TensorSpec> AllTensors() {
  return {
      {"f32.vector", {3}, TensorType::kF32, PatternBytes(12, 1)},
      {"f16.matrix", {5, 3}, TensorType::kF16, PatternBytes(30, 2)},
      {"i2s.matrix", {256, 2}, TensorType::kI2_S, PatternBytes(512 / 4 + 32, 3)},
      {"f32.4d", {2, 1, 3, 2}, TensorType::kF32, PatternBytes(48, 4)},
  };
}

void CheckSameContents(const File& file, const std::vector<std::pair<std::string, Value>>& metadata,
                       const std::vector<TensorSpec>& tensors) {
  REQUIRE(file.metadata().size() == metadata.size());
  for (size_t i = 0; i < metadata.size(); ++i) {
    INFO("key " << metadata[i].first);
    CHECK(file.metadata()[i].first == metadata[i].first);
    CHECK(file.metadata()[i].second == metadata[i].second);
    const Value* found = file.Find(metadata[i].first);
    REQUIRE(found != nullptr);
    CHECK(*found == metadata[i].second);
  }
  CHECK(file.Find("no.such.key") == nullptr);

  REQUIRE(file.tensors().size() == tensors.size());
  CHECK(file.data_offset() % file.alignment() == 0);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorSpec& spec = tensors[i];
    const TensorInfo* t = file.FindTensor(spec.name);
    REQUIRE(t == &file.tensors()[i]);
    CHECK(t->n_dims == spec.ne.size());
    for (size_t d = 0; d < 4; ++d) CHECK(t->ne[d] == (d < spec.ne.size() ? spec.ne[d] : 1));
    CHECK(t->type == spec.type);
    CHECK(t->offset % file.alignment() == 0);
    REQUIRE(t->n_bytes == spec.bytes.size());
    CHECK(std::memcmp(t->data, spec.bytes.data(), spec.bytes.size()) == 0);
  }
  CHECK(file.FindTensor("no.such.tensor") == nullptr);
}

Writer MakeWriter(const std::vector<std::pair<std::string, Value>>& metadata,
                  const std::vector<TensorSpec>& tensors) {
  Writer w;
  for (const auto& [key, value] : metadata) w.AddValue(key, value);
  for (const TensorSpec& t : tensors) w.AddTensor(t.name, t.ne, t.type, t.bytes);
  return w;
}

TEST_CASE("every value type and tensor type survives a round trip") {
  const auto metadata = AllValues();
  const auto tensors = AllTensors();
  const std::vector<uint8_t> bytes = MakeWriter(metadata, tensors).Serialize();
  const File file = File::FromBytes(bytes.data(), bytes.size(), "roundtrip");
  CHECK(file.version() == 3);
  CHECK(file.alignment() == 32);
  CHECK(file.file_size() == bytes.size());
  CHECK(file.data_offset() + file.data_size() == bytes.size());
  CheckSameContents(file, metadata, tensors);
}

TEST_CASE("NaN metadata keeps its bits") {
  const float nan32 = std::bit_cast<float>(0x7FC12345u);
  const double nan64 = std::bit_cast<double>(0xFFF0000000000123ull);
  Writer w;
  w.AddF32("nan32", nan32);
  w.AddValue("nan64", Scalar(ValueType::kF64, nan64));
  const std::vector<uint8_t> bytes = w.Serialize();
  const File file = File::FromBytes(bytes.data(), bytes.size(), "nan");
  CHECK(std::bit_cast<uint32_t>(std::get<float>(file.Find("nan32")->scalar)) == 0x7FC12345u);
  CHECK(std::bit_cast<uint64_t>(std::get<double>(file.Find("nan64")->scalar)) == 0xFFF0000000000123ull);
}

TEST_CASE("alignment variants place every tensor on the alignment") {
  for (uint32_t alignment : {1u, 2u, 8u, 64u, 4096u}) {
    INFO("alignment " << alignment);
    auto metadata = AllValues();
    metadata.emplace_back("general.alignment", Scalar(ValueType::kU32, alignment));
    const auto tensors = AllTensors();
    const std::vector<uint8_t> bytes = MakeWriter(metadata, tensors).Serialize();
    const File file = File::FromBytes(bytes.data(), bytes.size(), "aligned");
    CHECK(file.alignment() == alignment);
    CheckSameContents(file, metadata, tensors);
  }
}

TEST_CASE("GGUF version 2 reads like version 3") {
  std::vector<uint8_t> bytes = MakeWriter(AllValues(), AllTensors()).Serialize();
  bytes[4] = 2;
  const File file = File::FromBytes(bytes.data(), bytes.size(), "v2");
  CHECK(file.version() == 2);
  CheckSameContents(file, AllValues(), AllTensors());
}

TEST_CASE("an empty file (no metadata, no tensors) round-trips") {
  const std::vector<uint8_t> bytes = Writer().Serialize();
  CHECK(bytes.size() == 32);  // 24-byte header padded to 32
  const File file = File::FromBytes(bytes.data(), bytes.size(), "empty");
  CHECK(file.metadata().empty());
  CHECK(file.tensors().empty());
  CHECK(file.data_size() == 0);
}

TEST_CASE("typed accessors") {
  const auto metadata = AllValues();
  const std::vector<uint8_t> bytes = MakeWriter(metadata, {}).Serialize();
  const File f = File::FromBytes(bytes.data(), bytes.size(), "accessors");
  CHECK(AsUint(*f.Find("u8")) == 255u);
  CHECK(AsUint(*f.Find("i8")) == std::nullopt);  // negative
  CHECK(AsInt(*f.Find("i8")) == -128);
  CHECK(AsInt(*f.Find("u64")) == std::nullopt);  // above INT64_MAX
  CHECK(AsUint(*f.Find("u64")) == 0xFEDCBA9876543210ull);
  CHECK(AsUint(*f.Find("f32")) == std::nullopt);
  CHECK(AsFloat(*f.Find("f32")) == static_cast<double>(-1.5e-7f));
  CHECK(AsFloat(*f.Find("f64")) == 3.141592653589793);
  CHECK(AsFloat(*f.Find("u32")) == std::nullopt);
  CHECK(AsBool(*f.Find("bool.true")) == true);
  CHECK(AsBool(*f.Find("u8")) == std::nullopt);
  REQUIRE(AsString(*f.Find("string")) != nullptr);
  CHECK(*AsString(*f.Find("string")) == std::string("h\xc3\xa9llo\0world", 12));
  CHECK(AsString(*f.Find("array.string")) == nullptr);
  const auto strings = AsStringArray(*f.Find("array.string"));
  REQUIRE(strings.has_value());
  CHECK(*strings == std::vector<std::string_view>{"a", "", std::string(300, 'x')});
  CHECK(AsStringArray(*f.Find("array.i32")) == std::nullopt);
  CHECK(AsIntArray(*f.Find("array.i32")) == std::vector<int64_t>{-1, std::numeric_limits<int32_t>::max()});
  CHECK(AsIntArray(*f.Find("array.u64")) == std::nullopt);  // ~0 does not fit
  CHECK(AsIntArray(*f.Find("array.string")) == std::nullopt);
  CHECK(AsIntArray(*f.Find("u32")) == std::nullopt);
}

TEST_CASE("tensor type names and sizes") {
  CHECK(TensorTypeName(0) == "F32");
  CHECK(TensorTypeName(36) == "I2_S");
  CHECK(TensorTypeName(34) == "TQ1_0");
  CHECK(TensorTypeName(4) == std::nullopt);  // retired id
  CHECK(TensorTypeName(40) == std::nullopt);
  CHECK(IsSupported(TensorType::kI2_S));
  CHECK_FALSE(IsSupported(TensorType::kTQ2_0));
  CHECK(TensorBytes(TensorType::kF32, 3) == 12u);
  CHECK(TensorBytes(TensorType::kF16, 3) == 6u);
  CHECK(TensorBytes(TensorType::kI2_S, 2560 * 640) == 2560u * 640 / 4 + 32);
  CHECK(TensorBytes(TensorType::kI2_S, 100) == std::nullopt);
  CHECK(TensorBytes(TensorType::kF32, uint64_t{1} << 62) == std::nullopt);  // overflows
  CHECK(TensorBytes(TensorType::kQ4_0, 32) == std::nullopt);
}

TEST_CASE("the writer rejects what the reader would reject") {
  Writer w;
  w.AddU32("k", 1);
  CHECK_THROWS_WITH(w.AddU32("k", 2), Catch::Contains("duplicate metadata key 'k'"));
  CHECK_THROWS_WITH(w.AddValue("bad", Scalar(ValueType::kU32, 1.0f)), Catch::Contains("does not hold a u32"));
  CHECK_THROWS_WITH(w.AddValue("nested", Array(ValueType::kArray, {})), Catch::Contains("arrays must hold scalars"));
  CHECK_THROWS_WITH(w.AddU32("general.alignment", 48), Catch::Contains("power of two"));
  CHECK_THROWS_WITH(w.AddValue("general.alignment", Scalar(ValueType::kU64, uint64_t{32})),
                    Catch::Contains("power of two"));
  const std::vector<uint8_t> twelve(12);
  w.AddTensor("t", {3}, TensorType::kF32, twelve);
  CHECK_THROWS_WITH(w.AddTensor("t", {3}, TensorType::kF32, twelve), Catch::Contains("duplicate tensor name 't'"));
  CHECK_THROWS_WITH(w.AddTensor("u", {4}, TensorType::kF32, twelve), Catch::Contains("12 bytes given, 16 needed"));
  CHECK_THROWS_WITH(w.AddTensor("v", {64, 2}, TensorType::kI2_S, twelve), Catch::Contains("multiple of 128"));
  CHECK_THROWS_WITH(w.AddTensor("w", {}, TensorType::kF32, twelve), Catch::Contains("1 to 4 dimensions"));
  CHECK_THROWS_WITH(w.AddTensor("x", {1, 1, 1, 1, 1}, TensorType::kF32, twelve), Catch::Contains("1 to 4 dimensions"));
  CHECK_THROWS_WITH(w.AddTensor("y", {0}, TensorType::kF32, twelve), Catch::Contains("zero"));
  CHECK_THROWS_WITH(w.AddTensor("z", {256}, TensorType::kTQ2_0, twelve), Catch::Contains("unsupported"));
  // The failed additions left the writer as it was.
  const std::vector<uint8_t> bytes = w.Serialize();
  const File file = File::FromBytes(bytes.data(), bytes.size(), "after errors");
  CHECK(file.metadata().size() == 1);
  CHECK(file.tensors().size() == 1);
}

TEST_CASE("Write streams tensors to a file atomically and reports progress") {
  const std::string dir = std::filesystem::temp_directory_path() / ("gguf_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/model.gguf";
  std::filesystem::remove(path);

  Writer w;
  for (const auto& [key, value] : AllValues()) w.AddValue(key, value);
  // A filled tensor: the callback sees a span of exactly its bytes.
  size_t filled_size = 0;
  w.AddTensor("filled", {256, 3}, TensorType::kI2_S, [&](std::span<uint8_t> out) {
    filled_size = out.size();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7);
  });
  const std::vector<uint8_t> small = PatternBytes(40, 9);
  w.AddTensor("small", {20}, TensorType::kF16, small);

  std::vector<std::pair<uint64_t, uint64_t>> reports;
  w.Write(path, [&](uint64_t done, uint64_t total) { reports.emplace_back(done, total); });
  CHECK(filled_size == 256 * 3 / 4 + 32);

  const File file = File::Open(path);
  CHECK(file.path() == path);
  REQUIRE(!reports.empty());
  for (size_t i = 1; i < reports.size(); ++i) CHECK(reports[i].first > reports[i - 1].first);
  CHECK(reports.back().first == file.file_size());
  CHECK(reports.back().second == file.file_size());
  const TensorInfo* filled = file.FindTensor("filled");
  REQUIRE(filled != nullptr);
  for (size_t i = 0; i < filled->n_bytes; ++i) REQUIRE(filled->data[i] == static_cast<uint8_t>(i * 7));
  CHECK(std::memcmp(file.FindTensor("small")->data, small.data(), small.size()) == 0);

  // The same bytes as Serialize, and no temporary file left behind.
  const std::vector<uint8_t> serialized = w.Serialize();
  REQUIRE(serialized.size() == file.file_size());
  CHECK(std::memcmp(serialized.data(), file.FindTensor("filled")->data - file.data_offset() - filled->offset,
                    serialized.size()) == 0);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++entries;
  CHECK(entries == 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("Write to an impossible path fails cleanly") {
  Writer w;
  w.AddU32("k", 1);
  CHECK_THROWS_AS(w.Write("/nonexistent-dir/x.gguf"), GgufError);
}

TEST_CASE("Open reports missing and non-regular files") {
  CHECK_THROWS_WITH(File::Open("/nonexistent.gguf"), Catch::StartsWith("/nonexistent.gguf: cannot open"));
  CHECK_THROWS_WITH(File::Open("/tmp"), Catch::Contains("not a regular file"));
}

}  // namespace
}  // namespace bitbrain::gguf
