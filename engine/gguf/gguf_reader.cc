// The GGUF reader: maps a file and validates every byte of its structure
// before anything is used. Parsing never reads past the end of the image and
// never allocates from a count that the remaining bytes cannot back.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

#include "engine/gguf/gguf.h"
#include "engine/gguf/wire.h"
#include "kernels/formats/i2s.h"

namespace bitbrain::gguf {
namespace {

// A read-only private mapping, unmapped on destruction.
struct Mapping {
  void* address = nullptr;
  size_t size = 0;

  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (address != nullptr) munmap(address, size);
  }
};

std::string Quoted(std::string_view s) {
  std::string out = "'";
  out.append(s);
  out += '\'';
  return out;
}

// Everything parsed from a file.
struct Contents {
  std::string path;
  uint32_t version = 0;
  uint64_t file_size = 0;
  uint32_t alignment = wire::kDefaultAlignment;
  uint64_t data_offset = 0;
  std::vector<std::pair<std::string, Value>> metadata;
  std::vector<TensorInfo> tensors;
  // Keys and names are views of the file's bytes, which outlive the indices.
  std::unordered_map<std::string_view, size_t> key_index;
  std::unordered_map<std::string_view, size_t> tensor_index;
};

// Reads the image front to back. Every read checks the bytes that remain;
// every error names the file and the byte offset where the fault is.
class Parser {
 public:
  Parser(const uint8_t* bytes, uint64_t size, const std::string& name)
      : bytes_(bytes), size_(size), name_(name) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return size_ - pos_; }

  [[noreturn]] void Fail(uint64_t at, const std::string& what) const {
    throw GgufError(name_ + ": at byte " + std::to_string(at) + ": " + what);
  }

  // `what` names the field in the message if the file ends before it.
  template <typename T>
  T Read(const char* what) {
    Need(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  std::string_view ReadString(const char* what) {
    const uint64_t at = pos_;
    const uint64_t length = Read<uint64_t>(what);
    if (length > remaining()) {
      Fail(at, std::string(what) + " length " + std::to_string(length) + context_ +
                   " exceeds the " + std::to_string(remaining()) + " bytes left in the file");
    }
    std::string_view s(reinterpret_cast<const char*>(bytes_ + pos_), length);
    pos_ += length;
    return s;
  }

  // Rejects `count` items of at least `min_bytes` each that exceed `limit`
  // or cannot fit in the rest of the file, before anything is allocated.
  void CheckCount(uint64_t at, uint64_t count, uint64_t min_bytes, uint64_t limit, const char* what) const {
    if (count > limit) {
      Fail(at, std::string(what) + " " + std::to_string(count) + context_ + " exceeds the limit of " +
                   std::to_string(limit));
    }
    if (count > remaining() / min_bytes) {
      Fail(at, std::string(what) + " " + std::to_string(count) + context_ +
                   " cannot fit in the " + std::to_string(remaining()) + " bytes left in the file");
    }
  }

  // Names the entry being parsed in error messages (" of metadata entry 3").
  void SetContext(std::string context) { context_ = std::move(context); }

 private:
  void Need(uint64_t n, const char* what) const {
    if (n > remaining()) {
      Fail(pos_, "truncated file: " + std::string(what) + context_ + " needs " +
                     std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
    }
  }

  const uint8_t* bytes_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& name_;
  std::string context_;
};

Value::Scalar ReadScalar(Parser& p, ValueType type) {
  switch (type) {
    case ValueType::kU8: return p.Read<uint8_t>("u8 value");
    case ValueType::kI8: return p.Read<int8_t>("i8 value");
    case ValueType::kU16: return p.Read<uint16_t>("u16 value");
    case ValueType::kI16: return p.Read<int16_t>("i16 value");
    case ValueType::kU32: return p.Read<uint32_t>("u32 value");
    case ValueType::kI32: return p.Read<int32_t>("i32 value");
    case ValueType::kF32: return p.Read<float>("f32 value");
    case ValueType::kU64: return p.Read<uint64_t>("u64 value");
    case ValueType::kI64: return p.Read<int64_t>("i64 value");
    case ValueType::kF64: return p.Read<double>("f64 value");
    case ValueType::kString: return std::string(p.ReadString("string value"));
    case ValueType::kBool: {
      const uint64_t at = p.pos();
      const uint8_t b = p.Read<uint8_t>("bool value");
      if (b > 1) p.Fail(at, "bool value " + std::to_string(b) + " is neither 0 nor 1");
      return b == 1;
    }
    case ValueType::kArray: break;
  }
  p.Fail(p.pos(), "internal error: ReadScalar on an array");
}

ValueType ReadValueType(Parser& p, const char* what) {
  const uint64_t at = p.pos();
  const uint32_t id = p.Read<uint32_t>(what);
  if (!wire::IsKnownValueType(id)) p.Fail(at, "unknown value type " + std::to_string(id));
  return static_cast<ValueType>(id);
}

// `array_budget` is how many more array elements the file may hold.
Value ReadValue(Parser& p, ValueType type, uint64_t& array_budget) {
  Value value;
  value.type = type;
  if (type != ValueType::kArray) {
    value.scalar = ReadScalar(p, type);
    return value;
  }
  const uint64_t type_at = p.pos();
  value.element_type = ReadValueType(p, "array element type");
  if (value.element_type == ValueType::kArray) p.Fail(type_at, "arrays of arrays are not supported");
  const uint64_t count_at = p.pos();
  const uint64_t count = p.Read<uint64_t>("array length");
  p.CheckCount(count_at, count, wire::MinBytes(value.element_type), array_budget, "array length");
  array_budget -= count;
  value.elements.reserve(count);
  if (value.element_type == ValueType::kString) {
    // Token lists and merges: hundreds of thousands of strings, built in place.
    for (uint64_t i = 0; i < count; ++i) {
      value.elements.emplace_back(std::in_place_type<std::string>, p.ReadString("string value"));
    }
  } else {
    for (uint64_t i = 0; i < count; ++i) value.elements.push_back(ReadScalar(p, value.element_type));
  }
  return value;
}

void ReadMetadata(Parser& p, uint64_t count, Contents& file) {
  uint64_t array_budget = wire::kMaxArrayElements;
  for (uint64_t i = 0; i < count; ++i) {
    p.SetContext(" of metadata entry " + std::to_string(i));
    const uint64_t key_at = p.pos();
    const std::string_view key = p.ReadString("key");
    p.SetContext(" of metadata key " + Quoted(key));
    if (file.key_index.count(key) != 0) p.Fail(key_at, "duplicate metadata key " + Quoted(key));
    const uint64_t type_at = p.pos();
    const ValueType type = ReadValueType(p, "value type");
    Value value = ReadValue(p, type, array_budget);
    if (key == wire::kAlignmentKey) {
      if (type != ValueType::kU32) {
        p.Fail(type_at, std::string(wire::kAlignmentKey) + " must be a u32, not " +
                            std::string(ValueTypeName(type)));
      }
      const uint32_t alignment = std::get<uint32_t>(value.scalar);
      if (!std::has_single_bit(alignment)) {
        p.Fail(type_at, std::string(wire::kAlignmentKey) + " = " + std::to_string(alignment) +
                            " is not a power of two");
      }
      file.alignment = alignment;
    }
    file.key_index.emplace(key, file.metadata.size());
    file.metadata.emplace_back(std::string(key), std::move(value));
  }
}

// Reads one tensor info and checks everything that does not depend on where
// the data section starts. Returns the byte offset of its `offset` field.
uint64_t ReadTensorInfo(Parser& p, Contents& file, uint64_t index) {
  TensorInfo& t = file.tensors[index];
  const uint64_t name_at = p.pos();
  const std::string_view name = p.ReadString("tensor name");
  p.SetContext(" of tensor " + Quoted(name));
  if (file.tensor_index.count(name) != 0) p.Fail(name_at, "duplicate tensor name " + Quoted(name));
  t.name = std::string(name);

  const uint64_t dims_at = p.pos();
  t.n_dims = p.Read<uint32_t>("n_dims");
  if (t.n_dims < 1 || t.n_dims > wire::kMaxDims) {
    p.Fail(dims_at, "tensor " + Quoted(name) + " has n_dims " + std::to_string(t.n_dims) +
                        " (must be 1 to 4)");
  }
  // ggml counts elements in int64: every dimension and their product must fit.
  constexpr uint64_t kMaxElements = std::numeric_limits<int64_t>::max();
  t.n_elements = 1;
  for (uint32_t d = 0; d < t.n_dims; ++d) {
    const uint64_t ne_at = p.pos();
    t.ne[d] = p.Read<uint64_t>("dimension");
    if (t.ne[d] == 0 || t.ne[d] > kMaxElements / t.n_elements) {
      p.Fail(ne_at, "tensor " + Quoted(name) + " dimension " + std::to_string(d) + " = " +
                        std::to_string(t.ne[d]) +
                        (t.ne[d] == 0 ? " is zero" : " overflows the element count"));
    }
    t.n_elements *= t.ne[d];
  }

  const uint64_t type_at = p.pos();
  const uint32_t type_id = p.Read<uint32_t>("tensor type");
  const std::optional<std::string_view> type_name = TensorTypeName(type_id);
  if (!type_name) {
    p.Fail(type_at, "tensor " + Quoted(name) + " has unknown tensor type id " + std::to_string(type_id));
  }
  t.type = static_cast<TensorType>(type_id);
  if (!IsSupported(t.type)) {
    p.Fail(type_at, "tensor " + Quoted(name) + " has unsupported tensor type " + std::string(*type_name));
  }
  if (t.type == TensorType::kI2_S && t.ne[0] % i2s::kBlockElements != 0) {
    p.Fail(type_at, "I2_S tensor " + Quoted(name) + " has ne[0] = " + std::to_string(t.ne[0]) +
                        ", not a multiple of 128");
  }
  const std::optional<uint64_t> bytes = TensorBytes(t.type, t.n_elements);
  if (!bytes) p.Fail(type_at, "byte size of tensor " + Quoted(name) + " overflows");
  t.n_bytes = *bytes;

  const uint64_t offset_at = p.pos();
  t.offset = p.Read<uint64_t>("tensor offset");
  if (t.offset % file.alignment != 0) {
    p.Fail(offset_at, "tensor " + Quoted(name) + " offset " + std::to_string(t.offset) +
                          " is not a multiple of the alignment " + std::to_string(file.alignment));
  }
  file.tensor_index.emplace(name, index);
  return offset_at;
}

void Parse(const uint8_t* bytes, uint64_t size, Contents& file) {
  Parser p(bytes, size, file.path);
  file.file_size = size;

  const uint32_t magic = p.Read<uint32_t>("magic");
  if (magic != wire::kMagic) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", magic);
    p.Fail(0, "not a GGUF file: bad magic 0x" + std::string(hex) + " (expected \"GGUF\")");
  }
  const uint64_t version_at = p.pos();
  file.version = p.Read<uint32_t>("version");
  if (file.version != 2 && file.version != 3) {
    p.Fail(version_at, "unsupported GGUF version " + std::to_string(file.version) + " (expected 2 or 3)");
  }
  const uint64_t tensor_count_at = p.pos();
  const uint64_t tensor_count = p.Read<uint64_t>("tensor count");
  const uint64_t kv_count_at = p.pos();
  const uint64_t kv_count = p.Read<uint64_t>("metadata count");
  p.CheckCount(tensor_count_at, tensor_count, wire::kMinTensorInfoBytes, wire::kMaxTensors, "tensor count");
  p.CheckCount(kv_count_at, kv_count, wire::kMinEntryBytes, wire::kMaxEntries, "metadata count");

  ReadMetadata(p, kv_count, file);

  p.SetContext("");
  p.CheckCount(tensor_count_at, tensor_count, wire::kMinTensorInfoBytes, wire::kMaxTensors, "tensor count");
  file.tensors.resize(tensor_count);
  std::vector<uint64_t> offset_fields(tensor_count);
  for (uint64_t i = 0; i < tensor_count; ++i) {
    p.SetContext(" of tensor " + std::to_string(i));
    offset_fields[i] = ReadTensorInfo(p, file, i);
  }
  p.SetContext("");

  file.data_offset = wire::AlignUp(p.pos(), file.alignment);
  if (file.data_offset > size) {
    p.Fail(p.pos(), "truncated file: the data section starts at byte " +
                        std::to_string(file.data_offset) + " but the file has " +
                        std::to_string(size) + " bytes");
  }
  const uint64_t data_size = size - file.data_offset;
  for (uint64_t i = 0; i < tensor_count; ++i) {
    TensorInfo& t = file.tensors[i];
    if (t.offset > data_size || t.n_bytes > data_size - t.offset) {
      p.Fail(offset_fields[i], "tensor " + Quoted(t.name) + " (data bytes " + std::to_string(t.offset) +
                                   " + " + std::to_string(t.n_bytes) +
                                   ") extends past the end of the file (data section has " +
                                   std::to_string(data_size) + " bytes)");
    }
    t.data = bytes + file.data_offset + t.offset;
  }

  // Sorted by offset (then by position in the file, so that the error names
  // the later of two tensors at the same offset), each tensor must end
  // before the next one starts.
  std::vector<uint64_t> order(tensor_count);
  for (uint64_t i = 0; i < tensor_count; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint64_t a, uint64_t b) {
    return std::pair(file.tensors[a].offset, a) < std::pair(file.tensors[b].offset, b);
  });
  for (uint64_t k = 1; k < tensor_count; ++k) {
    const TensorInfo& prev = file.tensors[order[k - 1]];
    const TensorInfo& next = file.tensors[order[k]];
    if (prev.offset + prev.n_bytes > next.offset) {
      p.Fail(offset_fields[order[k]], "tensor " + Quoted(next.name) + " (data bytes " +
                                          std::to_string(next.offset) + " + " +
                                          std::to_string(next.n_bytes) + ") overlaps tensor " +
                                          Quoted(prev.name) + " (data bytes " +
                                          std::to_string(prev.offset) + " + " +
                                          std::to_string(prev.n_bytes) + ")");
    }
  }
}

}  // namespace

struct File::Impl : Contents {
  Mapping mapping;  // empty for FromBytes
};

File::File() : impl_(std::make_unique<Impl>()) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

File File::Open(const std::string& path) {
  File file;
  file.impl_->path = path;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw GgufError(path + ": cannot open: " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int stat_errno = errno;
    close(fd);
    throw GgufError(path + ": cannot stat: " + std::strerror(stat_errno));
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    throw GgufError(path + ": cannot open: not a regular file");
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size > 0) {
    void* address = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int mmap_errno = errno;
    close(fd);
    if (address == MAP_FAILED) throw GgufError(path + ": cannot map: " + std::strerror(mmap_errno));
    file.impl_->mapping.address = address;
    file.impl_->mapping.size = size;
  } else {
    close(fd);
  }
  Parse(static_cast<const uint8_t*>(file.impl_->mapping.address), size, *file.impl_);
  return file;
}

File File::FromBytes(const uint8_t* bytes, size_t size, std::string name) {
  File file;
  file.impl_->path = std::move(name);
  Parse(bytes, size, *file.impl_);
  return file;
}

const std::string& File::path() const { return impl_->path; }
uint32_t File::version() const { return impl_->version; }
uint64_t File::file_size() const { return impl_->file_size; }
uint32_t File::alignment() const { return impl_->alignment; }
uint64_t File::data_offset() const { return impl_->data_offset; }
uint64_t File::data_size() const { return impl_->file_size - impl_->data_offset; }

const std::vector<std::pair<std::string, Value>>& File::metadata() const { return impl_->metadata; }

const Value* File::Find(std::string_view key) const {
  const auto it = impl_->key_index.find(key);
  return it == impl_->key_index.end() ? nullptr : &impl_->metadata[it->second].second;
}

const std::vector<TensorInfo>& File::tensors() const { return impl_->tensors; }

const TensorInfo* File::FindTensor(std::string_view name) const {
  const auto it = impl_->tensor_index.find(name);
  return it == impl_->tensor_index.end() ? nullptr : &impl_->tensors[it->second];
}

}  // namespace bitbrain::gguf
