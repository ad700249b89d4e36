// Names, sizes and typed accessors of GGUF values and ggml tensor types.
#include <limits>

#include "engine/gguf/gguf.h"
#include "kernels/formats/i2s.h"

namespace bitbrain::gguf {

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kU8: return "u8";
    case ValueType::kI8: return "i8";
    case ValueType::kU16: return "u16";
    case ValueType::kI16: return "i16";
    case ValueType::kU32: return "u32";
    case ValueType::kI32: return "i32";
    case ValueType::kF32: return "f32";
    case ValueType::kBool: return "bool";
    case ValueType::kString: return "string";
    case ValueType::kArray: return "array";
    case ValueType::kU64: return "u64";
    case ValueType::kI64: return "i64";
    case ValueType::kF64: return "f64";
  }
  return "unknown";
}

std::optional<std::string_view> TensorTypeName(uint32_t id) {
  // Indexed by ggml type id; empty where ggml has no type (retired ids).
  static constexpr std::string_view kNames[] = {
      "F32",     "F16",    "Q4_0",    "Q4_1",  "",      "",      "Q5_0",   "Q5_1",
      "Q8_0",    "Q8_1",   "Q2_K",    "Q3_K",  "Q4_K",  "Q5_K",  "Q6_K",   "Q8_K",
      "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S",  "IQ4_XS",
      "I8",      "I16",    "I32",     "I64",   "F64",   "IQ1_M", "BF16",   "",
      "",        "",       "TQ1_0",   "TQ2_0", "I2_S",  "I8_S",  "TL1",    "TL2",
  };
  if (id >= std::size(kNames) || kNames[id].empty()) return std::nullopt;
  return kNames[id];
}

bool IsSupported(TensorType type) {
  return type == TensorType::kF32 || type == TensorType::kF16 || type == TensorType::kI2_S;
}

std::optional<uint64_t> TensorBytes(TensorType type, uint64_t n) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  switch (type) {
    case TensorType::kF32:
      if (n > kMax / 4) return std::nullopt;
      return n * 4;
    case TensorType::kF16:
      if (n > kMax / 2) return std::nullopt;
      return n * 2;
    case TensorType::kI2_S:
      if (n % i2s::kBlockElements != 0) return std::nullopt;
      return n / 4 + i2s::kTailBytes;  // cannot overflow: n / 4 < 2^62
    default:
      return std::nullopt;
  }
}

namespace {

// The scalar as a wide integer, if it is one.
std::optional<uint64_t> UintOf(const Value::Scalar& s) {
  return std::visit(
      [](const auto& x) -> std::optional<uint64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          if (x < 0) return std::nullopt;
          return static_cast<uint64_t>(x);
        }
        return std::nullopt;
      },
      s);
}

std::optional<int64_t> IntOf(const Value::Scalar& s) {
  return std::visit(
      [](const auto& x) -> std::optional<int64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          if constexpr (std::is_same_v<T, uint64_t>) {
            if (x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
          }
          return static_cast<int64_t>(x);
        }
        return std::nullopt;
      },
      s);
}

}  // namespace

std::optional<uint64_t> AsUint(const Value& v) {
  if (v.is_array()) return std::nullopt;
  return UintOf(v.scalar);
}

std::optional<int64_t> AsInt(const Value& v) {
  if (v.is_array()) return std::nullopt;
  return IntOf(v.scalar);
}

std::optional<double> AsFloat(const Value& v) {
  if (v.is_array()) return std::nullopt;
  if (const float* f = std::get_if<float>(&v.scalar)) return *f;
  if (const double* d = std::get_if<double>(&v.scalar)) return *d;
  return std::nullopt;
}

std::optional<bool> AsBool(const Value& v) {
  if (v.is_array()) return std::nullopt;
  if (const bool* b = std::get_if<bool>(&v.scalar)) return *b;
  return std::nullopt;
}

const std::string* AsString(const Value& v) {
  if (v.is_array()) return nullptr;
  return std::get_if<std::string>(&v.scalar);
}

std::optional<std::vector<std::string_view>> AsStringArray(const Value& v) {
  if (!v.is_array() || v.element_type != ValueType::kString) return std::nullopt;
  std::vector<std::string_view> out;
  out.reserve(v.elements.size());
  for (const Value::Scalar& s : v.elements) {
    const std::string* str = std::get_if<std::string>(&s);
    if (str == nullptr) return std::nullopt;
    out.push_back(*str);
  }
  return out;
}

std::optional<std::vector<int64_t>> AsIntArray(const Value& v) {
  if (!v.is_array()) return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(v.elements.size());
  for (const Value::Scalar& s : v.elements) {
    std::optional<int64_t> i = IntOf(s);
    if (!i) return std::nullopt;
    out.push_back(*i);
  }
  return out;
}

}  // namespace bitbrain::gguf
