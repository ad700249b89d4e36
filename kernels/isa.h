// Instruction-set variants of the kernels and the choice among them.
//
// The CPU is inspected once. The variant in use is the best one the CPU
// supports, unless the environment variable BITBRAIN_ISA (scalar, avx2,
// avx512) or a call to SetIsa (the CLI's --isa flag) forces another, so that
// every variant can be run and compared on one machine.
#ifndef BITBRAIN_KERNELS_ISA_H_
#define BITBRAIN_KERNELS_ISA_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bitbrain::kernels {

// In increasing order of capability.
enum class Isa {
  kScalar,  // plain C++: the definition every other variant must match
  kAvx2,    // AVX2 + FMA + F16C
  kAvx512,  // AVX-512 F/BW/VL + VNNI, plus F16C
};

inline constexpr Isa kAllIsas[] = {Isa::kScalar, Isa::kAvx2, Isa::kAvx512};

// "scalar", "avx2", "avx512".
const char* IsaName(Isa isa);

// The inverse of IsaName; nullopt for any other string.
std::optional<Isa> ParseIsa(std::string_view name);

// Whether this CPU (and OS, for the register state) can run the variant.
bool CpuSupports(Isa isa);

// The supported variants in increasing order; always starts with kScalar.
std::vector<Isa> SupportedIsas();

// The most capable supported variant.
Isa BestIsa();

// The variant in use: the one set by SetIsa, else BITBRAIN_ISA if set, else
// BestIsa(). Throws std::runtime_error naming the value if BITBRAIN_ISA is
// unknown or not supported by this CPU.
Isa ActiveIsa();

// Forces the variant in use (for a --isa flag). Throws std::runtime_error if
// this CPU does not support it.
void SetIsa(Isa isa);

// Parses and forces a variant by name; throws std::runtime_error with the
// valid names if the name is unknown or unsupported.
void SetIsa(std::string_view name);

// One line for logs and the status page, e.g.
// "kernels: avx512 (supported: scalar avx2 avx512)".
std::string DescribeIsa();

}  // namespace bitbrain::kernels

#endif  // BITBRAIN_KERNELS_ISA_H_
