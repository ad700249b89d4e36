// The GGUF v3 writer. The header (metadata and tensor infos) is built in
// memory; tensor data is produced one tensor at a time while it is written,
// so writing a model never holds more than its largest tensor.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "engine/gguf/gguf.h"
#include "engine/gguf/wire.h"

namespace bitbrain::gguf {
namespace {

[[noreturn]] void WriterError(const std::string& what) { throw GgufError("gguf writer: " + what); }

class ByteSink {
 public:
  explicit ByteSink(std::vector<uint8_t>& out) : out_(out) {}

  template <typename T>
  void Put(T value) {
    const size_t at = out_.size();
    out_.resize(at + sizeof(T));
    std::memcpy(out_.data() + at, &value, sizeof(T));
  }

  void PutString(std::string_view s) {
    Put<uint64_t>(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }

  void PutScalar(const Value::Scalar& scalar) {
    std::visit(
        [this](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::string>) {
            PutString(x);
          } else if constexpr (std::is_same_v<T, bool>) {
            Put<uint8_t>(x ? 1 : 0);
          } else {
            Put<T>(x);
          }
        },
        scalar);
  }

 private:
  std::vector<uint8_t>& out_;
};

Value ScalarValue(ValueType type, Value::Scalar scalar) {
  Value value;
  value.type = type;
  value.scalar = std::move(scalar);
  return value;
}

Value ArrayValue(ValueType element_type) {
  Value value;
  value.type = ValueType::kArray;
  value.element_type = element_type;
  return value;
}

void CheckScalar(const std::string& key, ValueType type, const Value::Scalar& scalar) {
  if (scalar.index() != wire::ScalarIndex(type)) {
    WriterError("metadata key '" + key + "': value does not hold a " + std::string(ValueTypeName(type)));
  }
}

uint32_t AlignmentOf(const std::vector<std::pair<std::string, Value>>& metadata) {
  for (const auto& [key, value] : metadata) {
    if (key == wire::kAlignmentKey) return std::get<uint32_t>(value.scalar);
  }
  return wire::kDefaultAlignment;
}

// A file being written under a temporary name: removed unless renamed to
// its final name.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {
    fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) Fail("create");
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) close(fd_);
    if (!renamed_) unlink(path_.c_str());
  }

  void Write(const uint8_t* bytes, size_t n) {
    while (n > 0) {
      const ssize_t written = ::write(fd_, bytes, n);
      if (written < 0) {
        if (errno == EINTR) continue;
        Fail("write");
      }
      bytes += written;
      n -= static_cast<size_t>(written);
    }
  }

  void RenameTo(const std::string& final_path) {
    const int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0) Fail("close");
    if (rename(path_.c_str(), final_path.c_str()) != 0) Fail("rename to " + final_path);
    renamed_ = true;
  }

 private:
  [[noreturn]] void Fail(const std::string& doing) const {
    throw GgufError(path_ + ": cannot " + doing + ": " + std::strerror(errno));
  }

  std::string path_;
  int fd_ = -1;
  bool renamed_ = false;
};

}  // namespace

struct Writer::Layout {
  std::vector<uint8_t> head;     // header, metadata, tensor infos, padding
  std::vector<uint64_t> offsets;  // of each tensor within the data section
  std::vector<uint64_t> sizes;    // bytes of each tensor
  uint64_t data_size = 0;         // every tensor padded to the alignment
};

void Writer::AddValue(std::string key, Value value) {
  const bool known = wire::IsKnownValueType(static_cast<uint32_t>(value.type));
  if (!known) WriterError("metadata key '" + key + "': unknown value type");
  if (value.is_array()) {
    if (!wire::IsKnownValueType(static_cast<uint32_t>(value.element_type)) ||
        value.element_type == ValueType::kArray) {
      WriterError("metadata key '" + key + "': arrays must hold scalars");
    }
    for (const Value::Scalar& element : value.elements) CheckScalar(key, value.element_type, element);
  } else {
    CheckScalar(key, value.type, value.scalar);
  }
  if (key == wire::kAlignmentKey) {
    if (value.type != ValueType::kU32 || !std::has_single_bit(std::get<uint32_t>(value.scalar))) {
      WriterError(std::string(wire::kAlignmentKey) + " must be a u32 power of two");
    }
  }
  for (const auto& entry : metadata_) {
    if (entry.first == key) WriterError("duplicate metadata key '" + key + "'");
  }
  metadata_.emplace_back(std::move(key), std::move(value));
}

void Writer::AddU32(std::string key, uint32_t v) {
  AddValue(std::move(key), ScalarValue(ValueType::kU32, v));
}

void Writer::AddF32(std::string key, float v) {
  AddValue(std::move(key), ScalarValue(ValueType::kF32, v));
}

void Writer::AddBool(std::string key, bool v) {
  AddValue(std::move(key), ScalarValue(ValueType::kBool, v));
}

void Writer::AddString(std::string key, std::string v) {
  AddValue(std::move(key), ScalarValue(ValueType::kString, std::move(v)));
}

void Writer::AddStringArray(std::string key, std::vector<std::string> v) {
  Value value = ArrayValue(ValueType::kString);
  value.elements.reserve(v.size());
  for (std::string& s : v) value.elements.emplace_back(std::move(s));
  AddValue(std::move(key), std::move(value));
}

void Writer::AddI32Array(std::string key, std::vector<int32_t> v) {
  Value value = ArrayValue(ValueType::kI32);
  value.elements.assign(v.begin(), v.end());
  AddValue(std::move(key), std::move(value));
}

void Writer::AddTensor(std::string name, std::vector<uint64_t> ne, TensorType type, Fill fill) {
  if (ne.empty() || ne.size() > wire::kMaxDims) WriterError("tensor '" + name + "': needs 1 to 4 dimensions");
  if (!IsSupported(type)) WriterError("tensor '" + name + "': unsupported tensor type");
  for (const PendingTensor& t : tensors_) {
    if (t.name == name) WriterError("duplicate tensor name '" + name + "'");
  }
  const uint64_t n_bytes = CheckedTensorBytes(type, ne);
  tensors_.push_back({std::move(name), std::move(ne), type, std::move(fill), n_bytes});
}

void Writer::AddTensor(std::string name, std::vector<uint64_t> ne, TensorType type,
                       std::span<const uint8_t> bytes) {
  Fill copy = [bytes](std::span<uint8_t> out) { std::copy(bytes.begin(), bytes.end(), out.begin()); };
  const std::string label = name;
  AddTensor(std::move(name), std::move(ne), type, std::move(copy));
  if (tensors_.back().n_bytes != bytes.size()) {
    const uint64_t expected = tensors_.back().n_bytes;
    tensors_.pop_back();
    WriterError("tensor '" + label + "': " + std::to_string(bytes.size()) + " bytes given, " +
                std::to_string(expected) + " needed");
  }
}

uint64_t Writer::CheckedTensorBytes(TensorType type, const std::vector<uint64_t>& ne) {
  uint64_t n = 1;
  for (uint64_t d : ne) {
    if (d == 0 || n > UINT64_MAX / d) WriterError("tensor dimension is zero or overflows");
    n *= d;
  }
  if (type == TensorType::kI2_S && ne[0] % 128 != 0) WriterError("I2_S tensor needs ne[0] a multiple of 128");
  const std::optional<uint64_t> bytes = gguf::TensorBytes(type, n);
  if (!bytes) WriterError("tensor byte size overflows");
  return *bytes;
}

Writer::Layout Writer::Plan() const {
  Layout layout;
  ByteSink sink(layout.head);
  sink.Put<uint32_t>(wire::kMagic);
  sink.Put<uint32_t>(wire::kVersion);
  sink.Put<uint64_t>(tensors_.size());
  sink.Put<uint64_t>(metadata_.size());
  for (const auto& [key, value] : metadata_) {
    sink.PutString(key);
    sink.Put<uint32_t>(static_cast<uint32_t>(value.type));
    if (value.is_array()) {
      sink.Put<uint32_t>(static_cast<uint32_t>(value.element_type));
      sink.Put<uint64_t>(value.elements.size());
      for (const Value::Scalar& element : value.elements) sink.PutScalar(element);
    } else {
      sink.PutScalar(value.scalar);
    }
  }
  const uint32_t alignment = AlignmentOf(metadata_);
  for (const PendingTensor& t : tensors_) {
    sink.PutString(t.name);
    sink.Put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (uint64_t d : t.ne) sink.Put<uint64_t>(d);
    sink.Put<uint32_t>(static_cast<uint32_t>(t.type));
    sink.Put<uint64_t>(layout.data_size);
    layout.offsets.push_back(layout.data_size);
    layout.sizes.push_back(t.n_bytes);
    layout.data_size = wire::AlignUp(layout.data_size + t.n_bytes, alignment);
  }
  layout.head.resize(wire::AlignUp(layout.head.size(), alignment), 0);
  return layout;
}

std::vector<uint8_t> Writer::Serialize() const {
  const Layout layout = Plan();
  std::vector<uint8_t> out = layout.head;
  const size_t data_start = out.size();
  out.resize(data_start + layout.data_size, 0);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    tensors_[i].fill(std::span<uint8_t>(out.data() + data_start + layout.offsets[i], layout.sizes[i]));
  }
  return out;
}

void Writer::Write(const std::string& path, const std::function<void(uint64_t, uint64_t)>& progress) const {
  const Layout layout = Plan();
  const uint64_t total = layout.head.size() + layout.data_size;
  // Written next to the target and renamed over it, so a reader never sees a
  // partial file.
  TempFile out(path + ".tmp" + std::to_string(getpid()));
  uint64_t written = 0;
  auto emit = [&](const uint8_t* bytes, uint64_t n) {
    out.Write(bytes, n);
    written += n;
    if (progress) progress(written, total);
  };
  emit(layout.head.data(), layout.head.size());

  // Large tensors go out in chunks so the progress callback keeps moving.
  constexpr uint64_t kChunk = 64 << 20;
  std::vector<uint8_t> buffer;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const uint64_t padded_end = i + 1 < tensors_.size() ? layout.offsets[i + 1] : layout.data_size;
    buffer.assign(padded_end - layout.offsets[i], 0);
    tensors_[i].fill(std::span<uint8_t>(buffer.data(), layout.sizes[i]));
    for (uint64_t at = 0; at < buffer.size(); at += kChunk) {
      emit(buffer.data() + at, std::min<uint64_t>(kChunk, buffer.size() - at));
    }
  }
  out.RenameTo(path);
}

}  // namespace bitbrain::gguf
