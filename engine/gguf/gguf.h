// GGUF v2/v3 files: a validating, memory-mapped reader and a writer.
// Layout as in ../shared/specs/bitnet-model.md section 1.
//
// The reader maps the file read-only and checks everything before anything is
// used; tensor data is never copied (TensorInfo::data points into the map).
// Every malformed file raises GgufError whose message names the file, the
// byte offset and what is wrong.
#ifndef BITBRAIN_ENGINE_GGUF_GGUF_H_
#define BITBRAIN_ENGINE_GGUF_GGUF_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace bitbrain::gguf {

class GgufError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// GGUF metadata value types (the u32 after a key).
enum class ValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6,
  kBool = 7, kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};
std::string_view ValueTypeName(ValueType type);

// ggml tensor type ids. Only F32, F16 and I2_S are supported; the other
// known ids get an "unsupported tensor type" error naming them.
enum class TensorType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8,
  kQ8_1 = 9, kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14,
  kQ8_K = 15, kIQ2_XXS = 16, kIQ2_XS = 17, kIQ3_XXS = 18, kIQ1_S = 19,
  kIQ4_NL = 20, kIQ3_S = 21, kIQ2_S = 22, kIQ4_XS = 23, kI8 = 24, kI16 = 25,
  kI32 = 26, kI64 = 27, kF64 = 28, kIQ1_M = 29, kBF16 = 30,
  kTQ1_0 = 34, kTQ2_0 = 35, kI2_S = 36, kI8_S = 37, kTL1 = 38, kTL2 = 39,
};
// "F32", "I2_S", ...; nullopt for an id ggml does not know.
std::optional<std::string_view> TensorTypeName(uint32_t id);
bool IsSupported(TensorType type);
// Bytes of a supported tensor with n elements; nullopt if n is not legal for
// the type (I2_S needs a multiple of 128) or the size overflows.
std::optional<uint64_t> TensorBytes(TensorType type, uint64_t n);

// A metadata value: a scalar or a homogeneous array of scalars (arrays of
// arrays are rejected, as ggml does).
struct Value {
  using Scalar = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t,
                              float, bool, std::string, uint64_t, int64_t, double>;
  ValueType type = ValueType::kU8;        // kArray for arrays
  ValueType element_type = ValueType::kU8;  // for arrays
  Scalar scalar;                          // when type != kArray
  std::vector<Scalar> elements;           // when type == kArray

  bool is_array() const { return type == ValueType::kArray; }
  friend bool operator==(const Value&, const Value&) = default;
};

// Typed views of a value; nullopt/nullptr when the type does not match.
// Integer getters accept any integer type whose value fits.
std::optional<uint64_t> AsUint(const Value& v);
std::optional<int64_t> AsInt(const Value& v);
std::optional<double> AsFloat(const Value& v);  // f32 or f64
std::optional<bool> AsBool(const Value& v);
const std::string* AsString(const Value& v);
// For arrays of strings / of integers.
std::optional<std::vector<std::string_view>> AsStringArray(const Value& v);
std::optional<std::vector<int64_t>> AsIntArray(const Value& v);

struct TensorInfo {
  std::string name;
  uint32_t n_dims = 0;
  std::array<uint64_t, 4> ne = {1, 1, 1, 1};  // ne[0] is contiguous
  TensorType type = TensorType::kF32;
  uint64_t offset = 0;            // relative to the data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  const uint8_t* data = nullptr;  // into the mapping (reader) or caller memory (writer)
};

// A mapped, validated GGUF file. Movable, not copyable; unmaps on destruction.
class File {
 public:
  // Opens, maps and validates. Throws GgufError.
  static File Open(const std::string& path);
  // Parses and validates an in-memory image (no copy; bytes must outlive the
  // File). `name` is used in error messages. For tests and the fuzzer.
  static File FromBytes(const uint8_t* bytes, size_t size, std::string name);

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  const std::string& path() const;
  uint32_t version() const;
  uint64_t file_size() const;
  uint32_t alignment() const;
  uint64_t data_offset() const;  // absolute offset of the data section
  uint64_t data_size() const;    // file_size - data_offset

  // Metadata in file order, and by key.
  const std::vector<std::pair<std::string, Value>>& metadata() const;
  const Value* Find(std::string_view key) const;

  // Tensors in file order, and by name.
  const std::vector<TensorInfo>& tensors() const;
  const TensorInfo* FindTensor(std::string_view name) const;

 private:
  File();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Writes a GGUF v3 file. Metadata and tensors in insertion order; each
// tensor's data is padded to the alignment (general.alignment if set as a
// u32 key, else 32). read(write(x)) == x for metadata and tensor bytes.
// The Add* functions throw GgufError for what the reader would reject
// (duplicate keys or names, a value that does not hold its type, arrays of
// arrays, a bad general.alignment, an illegal shape or unsupported type).
class Writer {
 public:
  void AddValue(std::string key, Value value);
  // Convenience setters for the common types.
  void AddU32(std::string key, uint32_t v);
  void AddF32(std::string key, float v);
  void AddBool(std::string key, bool v);
  void AddString(std::string key, std::string v);
  void AddStringArray(std::string key, std::vector<std::string> v);
  void AddI32Array(std::string key, std::vector<int32_t> v);

  // Fills a tensor's bytes (exactly TensorBytes(type, n) of them) when
  // Write() reaches it, so a large model is generated while it is written.
  using Fill = std::function<void(std::span<uint8_t> out)>;

  // `ne` has n_dims entries.
  void AddTensor(std::string name, std::vector<uint64_t> ne, TensorType type, Fill fill);
  // The bytes are copied when Write() runs, so they must stay alive until then.
  void AddTensor(std::string name, std::vector<uint64_t> ne, TensorType type,
                 std::span<const uint8_t> bytes);

  // Writes atomically (temporary file + rename). Throws GgufError on I/O errors.
  // `progress`, if given, is called with (bytes written, total bytes).
  void Write(const std::string& path,
             const std::function<void(uint64_t, uint64_t)>& progress = {}) const;
  // The whole file as bytes (for tests and fuzz seeds).
  std::vector<uint8_t> Serialize() const;

 private:
  struct PendingTensor {
    std::string name;
    std::vector<uint64_t> ne;
    TensorType type;
    Fill fill;
    uint64_t n_bytes;
  };
  // Where everything goes: the header bytes and each tensor's offset.
  struct Layout;
  Layout Plan() const;
  // Bytes of a tensor of this shape; throws GgufError if the shape is illegal.
  static uint64_t CheckedTensorBytes(TensorType type, const std::vector<uint64_t>& ne);

  std::vector<std::pair<std::string, Value>> metadata_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace bitbrain::gguf

#endif  // BITBRAIN_ENGINE_GGUF_GGUF_H_
