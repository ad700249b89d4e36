// Hostile input: every malformed file gets its specific error, naming the
// file and the byte offset of the fault, and never a crash.
//
// The files are built byte by byte here (not with the Writer, which refuses
// to produce most of them); the layout of each is spelled out in comments.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "engine/gguf/gguf.h"

namespace bitbrain::gguf {
namespace {

constexpr uint32_t kU8 = 0, kU32 = 4, kU64 = 10, kString = 8, kArray = 9, kBool = 7;
constexpr uint32_t kF32 = 0, kF16 = 1, kI2S = 36;

// Little-endian byte builder.
struct Bytes {
  std::vector<uint8_t> b;

  Bytes& u8(uint8_t v) { b.push_back(v); return *this; }
  Bytes& u32(uint32_t v) { return Raw(&v, 4); }
  Bytes& u64(uint64_t v) { return Raw(&v, 8); }
  Bytes& str(std::string_view s) { u64(s.size()); return Raw(s.data(), s.size()); }
  Bytes& zeros(size_t n) { b.resize(b.size() + n, 0); return *this; }
  Bytes& PadTo(size_t alignment) { return zeros((alignment - b.size() % alignment) % alignment); }
  Bytes& Raw(const void* p, size_t n) {
    const auto* bytes = static_cast<const uint8_t*>(p);
    b.insert(b.end(), bytes, bytes + n);
    return *this;
  }
  size_t size() const { return b.size(); }

  // Header: magic, version 3, counts (24 bytes).
  static Bytes Header(uint64_t tensors, uint64_t kvs) {
    Bytes x;
    x.Raw("GGUF", 4).u32(3).u64(tensors).u64(kvs);
    return x;
  }
  Bytes& KvU32(std::string_view key, uint32_t v) { return str(key).u32(kU32).u32(v); }
  Bytes& Tensor(std::string_view name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t d : ne) u64(d);
    return u32(type).u64(offset);
  }
};

struct Row {
  std::string name;
  std::vector<uint8_t> bytes;
  uint64_t at;           // the byte offset the error must name
  std::string fragment;  // the specific complaint
};

// A valid file to cut and corrupt:
//   0  header (1 tensor, 1 kv)              24 bytes
//   24 kv "a": u64 len 1, 'a', u32 type, u32 7   17 bytes -> 41
//   41 tensor "t": len 1, 't', n_dims 1, ne 8, type F32, offset 0   33 bytes -> 74
//   74 padding to 96
//   96 data: 8 floats                        32 bytes -> 128
Bytes SmallFile() {
  Bytes x = Bytes::Header(1, 1);
  x.KvU32("a", 7).Tensor("t", {8}, kF32, 0).PadTo(32).zeros(32);
  return x;
}

std::vector<uint8_t> Prefix(Bytes file, size_t n) {
  file.b.resize(n);
  return file.b;
}
std::vector<uint8_t> Prefix(size_t n) { return Prefix(SmallFile(), n); }

// A file with one kv holding `value` (type id + bytes) and no tensors.
std::vector<uint8_t> OneKv(std::string_view key, const Bytes& typed_value) {
  Bytes x = Bytes::Header(0, 1);
  x.str(key).Raw(typed_value.b.data(), typed_value.size()).PadTo(32);
  return x.b;
}

// A file with the given tensor infos (after a 24-byte header, no kvs) and
// `data_bytes` of data.
std::vector<uint8_t> Tensors(const std::vector<Bytes>& infos, size_t data_bytes) {
  Bytes x = Bytes::Header(infos.size(), 0);
  for (const Bytes& info : infos) x.Raw(info.b.data(), info.size());
  x.PadTo(32).zeros(data_bytes);
  return x.b;
}

Bytes Info(std::string_view name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
  Bytes x;
  x.Tensor(name, std::move(ne), type, offset);
  return x;
}

std::vector<Row> MalformedFiles() {
  constexpr uint64_t kHuge = uint64_t{1} << 60;
  // Offsets in a file with a 24-byte header and a first tensor named "t":
  // its n_dims is at 33, ne[0] at 37, type at 37 + 8 * n_dims, offset 4 after.
  std::vector<Row> rows = {
      // Truncated at every section boundary of SmallFile().
      {"empty file", Prefix(0), 0, "truncated file: magic needs 4 bytes, 0 left"},
      {"cut after magic", Prefix(4), 4, "truncated file: version needs 4 bytes"},
      {"cut after version", Prefix(8), 8, "truncated file: tensor count needs 8 bytes"},
      {"cut after tensor count", Prefix(16), 16, "truncated file: metadata count needs 8 bytes"},
      {"cut after header", Prefix(24), 8, "tensor count 1 cannot fit in the 0 bytes left"},
      {"cut after metadata", Prefix(41), 8, "tensor count 1 cannot fit in the 17 bytes left"},
      {"cut before the tensor infos", Prefix(56), 8, "tensor count 1 cannot fit in the 15 bytes left"},
      {"cut inside tensor infos", Prefix(73), 66, "truncated file: tensor offset of tensor 't' needs 8 bytes, 7 left"},
      {"cut before padding", Prefix(74), 74, "the data section starts at byte 96 but the file has 74 bytes"},
      {"cut at data start", Prefix(96), 66, "tensor 't' (data bytes 0 + 32) extends past the end of the file"},
      {"cut inside data", Prefix(127), 66, "extends past the end of the file (data section has 31 bytes)"},

      // Truncated inside a metadata entry of a file without tensors:
      //   24 key length 3, 32 "abc", 35 type u32, 39 value, 43 end.
      {"cut inside key", Prefix(Bytes::Header(0, 1).str("abcdefghijklmnop"), 40), 24,
       "key length 16 of metadata entry 0 exceeds the 8 bytes left"},
      {"cut inside value type", Prefix(Bytes::Header(0, 1).KvU32("abc", 7), 37), 35,
       "truncated file: value type of metadata key 'abc' needs 4 bytes, 2 left"},
      {"cut inside value", Prefix(Bytes::Header(0, 1).KvU32("abc", 7), 41), 39,
       "truncated file: u32 value of metadata key 'abc' needs 4 bytes, 2 left"},
      {"no padding after metadata", Bytes::Header(0, 1).KvU32("abc", 7).b, 43,
       "the data section starts at byte 64 but the file has 43 bytes"},

      // Header.
      {"bad magic", [] { auto b = SmallFile().b; b[3] = 'X'; return b; }(), 0, "not a GGUF file: bad magic"},
      {"version 1", [] { auto b = SmallFile().b; b[4] = 1; return b; }(), 4, "unsupported GGUF version 1"},
      {"version 4", [] { auto b = SmallFile().b; b[4] = 4; return b; }(), 4, "unsupported GGUF version 4"},
      {"absurd tensor count", Bytes::Header(kHuge, 0).zeros(64).b, 8, "tensor count 1152921504606846976 exceeds the limit of 1048576"},
      {"absurd metadata count", Bytes::Header(0, kHuge).zeros(64).b, 16, "metadata count 1152921504606846976 exceeds the limit of 65536"},
      {"tensor count over the limit", Bytes::Header((1 << 20) + 1, 0).zeros(64).b, 8,
       "tensor count 1048577 exceeds the limit of 1048576"},
      {"metadata count over the limit", Bytes::Header(0, (1 << 16) + 1).zeros(64).b, 16,
       "metadata count 65537 exceeds the limit of 65536"},
      {"metadata count too large by one", Bytes::Header(0, 3).KvU32("a", 1).KvU32("b", 2).b, 16,
       "metadata count 3 cannot fit in the 34 bytes left"},

      // Metadata.
      {"absurd key length", Bytes::Header(0, 1).u64(kHuge).zeros(16).b, 24, "key length 1152921504606846976"},
      {"unknown value type", OneKv("k", Bytes().u32(13).u32(0)), 33, "unknown value type 13"},
      {"unknown value type (large)", OneKv("k", Bytes().u32(0xFFFFFFFF).u32(0)), 33, "unknown value type 4294967295"},
      {"array of arrays", OneKv("k", Bytes().u32(kArray).u32(kArray).u64(1).u32(kU32).u64(0)), 37,
       "arrays of arrays are not supported"},
      {"array of unknown type", OneKv("k", Bytes().u32(kArray).u32(77).u64(0)), 37, "unknown value type 77"},
      {"absurd array length", OneKv("k", Bytes().u32(kArray).u32(kU32).u64(kHuge)), 41,
       "array length 1152921504606846976 of metadata key 'k' exceeds the limit of 16777216"},
      {"array longer than the file", OneKv("k", Bytes().u32(kArray).u32(kU32).u64(1000).u32(1)), 41,
       "array length 1000 of metadata key 'k' cannot fit in the 15 bytes left in the file"},
      {"array over the element limit", OneKv("k", Bytes().u32(kArray).u32(kU8).u64((1 << 24) + 1)), 41,
       "array length 16777217 of metadata key 'k' exceeds the limit of 16777216"},
      {"arrays together over the element limit",
       [] {
         Bytes x = Bytes::Header(0, 2);
         x.str("a").u32(kArray).u32(kU8).u64(1 << 23).zeros(1 << 23);  // 8 MiB of u8
         x.str("b").u32(kArray).u32(kU8).u64((1 << 23) + 1);            // one too many
         return x.PadTo(32).b;
       }(),
       24 + 17 + 8 + (1 << 23) + 17, "array length 8388609 of metadata key 'b' exceeds the limit of 8388608"},
      {"array of strings longer than the file", OneKv("k", Bytes().u32(kArray).u32(kString).u64(4).u64(1)), 41,
       "array length 4 of metadata key 'k' cannot fit"},
      {"absurd string length", OneKv("k", Bytes().u32(kString).u64(kHuge)), 37,
       "string value length 1152921504606846976 of metadata key 'k' exceeds"},
      {"absurd string length in an array", OneKv("k", Bytes().u32(kArray).u32(kString).u64(1).u64(kHuge).zeros(8)),
       49, "string value length 1152921504606846976 of metadata key 'k' exceeds"},
      {"bool that is neither 0 nor 1", OneKv("k", Bytes().u32(kBool).u8(2)), 37, "bool value 2 is neither 0 nor 1"},
      {"duplicate key", Bytes::Header(0, 2).KvU32("a", 1).KvU32("a", 2).PadTo(32).b, 41,
       "duplicate metadata key 'a'"},
      {"alignment of the wrong type", OneKv("general.alignment", Bytes().u32(kU64).u64(32)), 49,
       "general.alignment must be a u32, not u64"},
      {"alignment zero", OneKv("general.alignment", Bytes().u32(kU32).u32(0)), 49,
       "general.alignment = 0 is not a power of two"},
      {"alignment not a power of two", OneKv("general.alignment", Bytes().u32(kU32).u32(48)), 49,
       "general.alignment = 48 is not a power of two"},

      // Tensor infos.
      {"absurd tensor name length", Bytes::Header(1, 0).u64(kHuge).zeros(40).b, 24, "tensor name length"},
      {"n_dims 0", Tensors({Info("t", {}, kF32, 0)}, 0), 33, "tensor 't' has n_dims 0 (must be 1 to 4)"},
      {"n_dims 5", Tensors({Info("t", {1, 1, 1, 1, 1}, kF32, 0)}, 32), 33, "tensor 't' has n_dims 5"},
      {"zero dimension", Tensors({Info("t", {4, 0}, kF32, 0)}, 0), 45, "tensor 't' dimension 1 = 0 is zero"},
      {"element count overflow", Tensors({Info("t", {uint64_t{1} << 32, uint64_t{1} << 31}, kF32, 0)}, 0), 45,
       "dimension 1 = 2147483648 overflows the element count"},
      {"byte size overflow", Tensors({Info("t", {uint64_t{1} << 62}, kF32, 0)}, 0), 45,
       "byte size of tensor 't' overflows"},
      {"unknown tensor type id", Tensors({Info("t", {4}, 100, 0)}, 32), 45, "tensor 't' has unknown tensor type id 100"},
      {"retired tensor type id", Tensors({Info("t", {4}, 4, 0)}, 32), 45, "unknown tensor type id 4"},
      {"TQ1_0", Tensors({Info("t", {256}, 34, 0)}, 64), 45, "tensor 't' has unsupported tensor type TQ1_0"},
      {"TQ2_0", Tensors({Info("t", {256}, 35, 0)}, 96), 45, "unsupported tensor type TQ2_0"},
      {"Q4_0", Tensors({Info("t", {256}, 2, 0)}, 160), 45, "unsupported tensor type Q4_0"},
      {"I8_S", Tensors({Info("t", {256}, 37, 0)}, 288), 45, "unsupported tensor type I8_S"},
      {"I2_S ne0 not a multiple of 128", Tensors({Info("t", {64, 2}, kI2S, 0)}, 64), 53,
       "I2_S tensor 't' has ne[0] = 64, not a multiple of 128"},
      {"misaligned tensor", Tensors({Info("t", {4}, kF32, 4)}, 64), 49,
       "tensor 't' offset 4 is not a multiple of the alignment 32"},
      {"duplicate tensor name", Tensors({Info("t", {4}, kF32, 0), Info("t", {4}, kF32, 32)}, 64), 57,
       "duplicate tensor name 't'"},
      {"tensor past end of file", Tensors({Info("t", {8}, kF32, 32)}, 32), 49,
       "tensor 't' (data bytes 32 + 32) extends past the end of the file (data section has 32 bytes)"},
      {"tensor offset near 2^64", Tensors({Info("t", {8}, kF32, ~uint64_t{31})}, 32), 49, "extends past the end"},
      // A second tensor "u" after "t" with one dimension has its offset field at 82.
      {"overlapping tensors", Tensors({Info("t", {16}, kF32, 0), Info("u", {8}, kF32, 32)}, 64), 82,
       "tensor 'u' (data bytes 32 + 32) overlaps tensor 't' (data bytes 0 + 64)"},
      {"overlapping tensors listed backwards", Tensors({Info("t", {8}, kF32, 32), Info("u", {16}, kF32, 0)}, 64), 49,
       "tensor 't' (data bytes 32 + 32) overlaps tensor 'u' (data bytes 0 + 64)"},
      {"identical offsets", Tensors({Info("t", {8}, kF32, 0), Info("u", {16}, kF16, 0)}, 64), 82,
       "tensor 'u' (data bytes 0 + 32) overlaps tensor 't' (data bytes 0 + 32)"},
  };
  return rows;
}

TEST_CASE("each malformed file gets its specific error at its byte offset") {
  for (const Row& row : MalformedFiles()) {
    INFO("row: " << row.name);
    std::string message;
    try {
      File::FromBytes(row.bytes.data(), row.bytes.size(), "bad.gguf");
    } catch (const GgufError& e) {
      message = e.what();
    }
    INFO("message: " << message);
    CHECK(message.rfind("bad.gguf: at byte " + std::to_string(row.at) + ": ", 0) == 0);
    CHECK(message.find(row.fragment) != std::string::npos);
  }
}

TEST_CASE("the small file itself is valid") {
  const std::vector<uint8_t> b = SmallFile().b;
  REQUIRE(b.size() == 128);
  const File file = File::FromBytes(b.data(), b.size(), "small.gguf");
  CHECK(file.data_offset() == 96);
  CHECK(file.tensors().at(0).n_bytes == 32);
}

TEST_CASE("a file cut at every byte fails cleanly, naming an offset inside the file") {
  const std::vector<uint8_t> full = SmallFile().b;
  for (size_t n = 0; n < full.size(); ++n) {
    INFO("cut at " << n);
    // A fresh allocation of exactly n bytes, so that AddressSanitizer (in the
    // fuzz build) would catch a read past the end.
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    try {
      File::FromBytes(cut.data(), cut.size(), "cut.gguf");
      FAIL("no error");
    } catch (const GgufError& e) {
      const std::string message = e.what();
      INFO(message);
      REQUIRE(message.rfind("cut.gguf: at byte ", 0) == 0);
      const uint64_t at = std::stoull(message.substr(std::strlen("cut.gguf: at byte ")));
      CHECK(at <= n);
    }
  }
}

}  // namespace
}  // namespace bitbrain::gguf
