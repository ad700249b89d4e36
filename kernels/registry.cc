// The registry: one table per variant. A variant points at its own kernel
// where it has one and at a lower variant's elsewhere.
#include <stdexcept>

#include "kernels/avx2/avx2.h"
#include "kernels/avx512/avx512.h"
#include "kernels/kernels.h"
#include "kernels/scalar/scalar.h"

namespace bitbrain::kernels {
namespace {

constexpr Kernels kScalarKernels = {
    .isa = Isa::kScalar,
    .quantize_activations = scalar::QuantizeActivations,
    .ternary_matmul = {"i2s", scalar::kTernaryRowTile, scalar::TernaryPackedBytes,
                       scalar::TernaryPack, scalar::TernaryMatmul},
    .compact_ternary_matmul = {"base3-1row-v2", scalar::kTernaryRowTile,
                               scalar::CompactTernaryPackedBytes, scalar::CompactTernaryPack,
                               scalar::CompactTernaryMatmul},
    .head_matmul = scalar::HeadMatmul,
    .head_screen = {scalar::HeadScreenQuantize, scalar::HeadScreen,
                    scalar::HeadScreenRefine},
    .rmsnorm = scalar::RmsNorm,
    .rope = scalar::Rope,
    .attention_scores = scalar::AttentionScores,
    .max = scalar::Max,
    .exp_sum = scalar::ExpSum,
    .scale_round_f16 = scalar::ScaleRoundF16,
    .weighted_values = scalar::WeightedValues,
    .squared_relu_mul = scalar::SquaredReluMul,
    .add = scalar::Add,
    .round_f16 = scalar::RoundF16,
    .to_f16 = scalar::ToF16,
};

constexpr Kernels kAvx2Kernels = {
    .isa = Isa::kAvx2,
    .quantize_activations = avx2::QuantizeActivations,
    .ternary_matmul = {"i2s-4rows-v1", avx2::kTernaryRowTile, avx2::TernaryPackedBytes,
                       avx2::TernaryPack, avx2::TernaryMatmul},
    .compact_ternary_matmul = {"triples-64rows-v1", avx2::kCompactRowTile,
                               avx2::CompactTernaryPackedBytes, avx2::CompactTernaryPack,
                               avx2::CompactTernaryMatmul},
    .head_matmul = avx2::HeadMatmul,
    .head_screen = {avx2::HeadScreenQuantize, avx2::HeadScreen, avx2::HeadScreenRefine},
    .rmsnorm = avx2::RmsNorm,
    .rope = avx2::Rope,
    .attention_scores = avx2::AttentionScores,
    .max = avx2::Max,
    .exp_sum = avx2::ExpSum,
    .scale_round_f16 = avx2::ScaleRoundF16,
    .weighted_values = avx2::WeightedValues,
    .squared_relu_mul = avx2::SquaredReluMul,
    .add = avx2::Add,
    .round_f16 = avx2::RoundF16,
    .to_f16 = avx2::ToF16,
};

constexpr Kernels kAvx512Kernels = {
    .isa = Isa::kAvx512,
    .quantize_activations = avx512::QuantizeActivations,
    .ternary_matmul = {"2bit-64rows-v1", avx512::kTernaryRowTile, avx512::TernaryPackedBytes,
                       avx512::TernaryPack, avx512::TernaryMatmul},
    // The AVX2 kernel: an AVX-512 one could not be run on the machines this
    // was written on, and untested code is worse than none.
    .compact_ternary_matmul = {"triples-64rows-v1", avx2::kCompactRowTile,
                               avx2::CompactTernaryPackedBytes, avx2::CompactTernaryPack,
                               avx2::CompactTernaryMatmul},
    .head_matmul = avx512::HeadMatmul,
    .head_screen = {avx2::HeadScreenQuantize, avx2::HeadScreen, avx2::HeadScreenRefine},
    .rmsnorm = avx512::RmsNorm,
    .rope = avx512::Rope,
    .attention_scores = avx512::AttentionScores,
    .max = avx512::Max,
    .exp_sum = avx512::ExpSum,
    .scale_round_f16 = avx512::ScaleRoundF16,
    // The AVX2 kernel, for the reason above: its grouped form (one pass over
    // the values for every head that shares them) came after the last
    // AVX-512 machine.
    .weighted_values = avx2::WeightedValues,
    .squared_relu_mul = avx512::SquaredReluMul,
    .add = avx512::Add,
    .round_f16 = avx512::RoundF16,
    .to_f16 = avx512::ToF16,
};

}  // namespace

const Kernels& KernelsFor(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return kScalarKernels;
    case Isa::kAvx2:
      return kAvx2Kernels;
    case Isa::kAvx512:
      return kAvx512Kernels;
  }
  throw std::invalid_argument("KernelsFor: not a kernel variant");
}

const Kernels& ActiveKernels() { return KernelsFor(ActiveIsa()); }

const char* TernaryLayoutName(TernaryLayout layout) {
  return layout == TernaryLayout::kCompact ? "compact" : "2bit";
}

std::optional<TernaryLayout> ParseTernaryLayout(std::string_view name) {
  for (const TernaryLayout layout : kTernaryLayouts) {
    if (name == TernaryLayoutName(layout)) return layout;
  }
  return std::nullopt;
}

}  // namespace bitbrain::kernels
