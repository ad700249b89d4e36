#include "kernels/isa.h"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace bitbrain::kernels {
namespace {

// Bits of the features each variant needs, read once. GCC's
// __builtin_cpu_supports also checks (via xgetbv) that the OS saves the
// AVX / AVX-512 register state.
bool Detect(Isa isa) {
  __builtin_cpu_init();
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    case Isa::kAvx512:
      return Detect(Isa::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512vnni");
  }
  return false;
}

std::string ValidNames() {
  std::string names;
  for (Isa isa : kAllIsas) names += std::string(names.empty() ? "" : ", ") + IsaName(isa);
  return names;
}

std::string SupportedNames() {
  std::string names;
  for (Isa isa : SupportedIsas()) names += std::string(names.empty() ? "" : " ") + IsaName(isa);
  return names;
}

// Checks a requested variant; `source` says where the request came from.
Isa Require(std::string_view name, std::string_view source) {
  const std::optional<Isa> isa = ParseIsa(name);
  if (!isa) {
    throw std::runtime_error(std::string(source) + "=" + std::string(name) +
                             ": unknown kernel variant (expected one of: " + ValidNames() + ")");
  }
  if (!CpuSupports(*isa)) {
    throw std::runtime_error(std::string(source) + "=" + std::string(name) +
                             ": this CPU does not support it (supported: " + SupportedNames() +
                             ")");
  }
  return *isa;
}

constexpr int kNotForced = -1;
std::atomic<int> forced_isa{kNotForced};

Isa IsaFromEnvironment() {
  static const Isa isa = [] {
    const char* value = std::getenv("BITBRAIN_ISA");
    if (value == nullptr || *value == '\0') return BestIsa();
    return Require(value, "BITBRAIN_ISA");
  }();
  return isa;
}

}  // namespace

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<Isa> ParseIsa(std::string_view name) {
  for (Isa isa : kAllIsas) {
    if (name == IsaName(isa)) return isa;
  }
  return std::nullopt;
}

bool CpuSupports(Isa isa) {
  static const bool supported[] = {Detect(Isa::kScalar), Detect(Isa::kAvx2),
                                   Detect(Isa::kAvx512)};
  return supported[static_cast<int>(isa)];
}

std::vector<Isa> SupportedIsas() {
  std::vector<Isa> isas;
  for (Isa isa : kAllIsas) {
    if (CpuSupports(isa)) isas.push_back(isa);
  }
  return isas;
}

Isa BestIsa() { return SupportedIsas().back(); }

Isa ActiveIsa() {
  const int forced = forced_isa.load(std::memory_order_acquire);
  if (forced != kNotForced) return static_cast<Isa>(forced);
  return IsaFromEnvironment();
}

void SetIsa(Isa isa) { SetIsa(IsaName(isa)); }

void SetIsa(std::string_view name) {
  forced_isa.store(static_cast<int>(Require(name, "--isa")), std::memory_order_release);
}

std::string DescribeIsa() {
  return std::string("kernels: ") + IsaName(ActiveIsa()) + " (supported: " + SupportedNames() +
         ")";
}

}  // namespace bitbrain::kernels
