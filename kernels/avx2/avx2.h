// The avx2 kernels: AVX2 + FMA + F16C. Only this directory is compiled with
// -mavx2 -mfma -mf16c (see BUILD), and nothing here may run unless
// CpuSupports(Isa::kAvx2). Signatures are the families' in kernels/kernels.h;
// each kernel must give the scalar kernel's bits.
//
// Code here must not instantiate inline functions or templates that generic
// code also uses (std::min, std::vector, ...): the linker keeps one copy of
// each, and it could be the one compiled with these flags.
#ifndef BITBRAIN_KERNELS_AVX2_AVX2_H_
#define BITBRAIN_KERNELS_AVX2_AVX2_H_

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"
#include "kernels/ternary_layout.h"

namespace bitbrain::kernels::avx2 {

// quantize_activations.cc
void QuantizeActivations(const float* x, int cols, int8_t* q, float* scale, int32_t* q_sum);

// ternary_matmul.cc: I2_S blocks interleaved by row in groups of 4
// (kernels/ternary_layout.h).
inline constexpr int kTernaryRowTile = 4;
size_t TernaryPackedBytes(int rows, int cols);
void TernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out);
void TernaryMatmul(const uint8_t* packed, int rows, int cols, float w_scale,
                   const QuantizedActivations& x, int row_begin, int row_end, float* y,
                   size_t y_stride);

// triple_matmul.cc, the compact layout: triples in groups of 64 rows
// (kernels/ternary_layout.h).
inline constexpr int kCompactRowTile = kTripleGroupRows;
size_t CompactTernaryPackedBytes(int rows, int cols);
void CompactTernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out);
void CompactTernaryMatmul(const uint8_t* packed, int rows, int cols, float w_scale,
                          const QuantizedActivations& x, int row_begin, int row_end, float* y,
                          size_t y_stride);

// head_screen.cc: the LM head's screening copy.
void HeadScreenQuantize(const uint16_t* embeddings, int cols, int row_begin, int row_end,
                        const HeadScreenCopy& copy);
void HeadScreen(const uint8_t* coarse, size_t code_stride, const int8_t* q, int vectors,
                int row_begin, int row_end, int32_t* acc, size_t acc_stride);
void HeadScreenRefine(const uint8_t* fine, size_t code_stride, const int8_t* q, int vectors,
                      const int32_t* rows, int count, int32_t* acc, size_t acc_stride);

// Float kernels (NUMERICS.md sections 1 and 2), sharing lanes16.h:
// head_matmul.cc, rmsnorm.cc, rope.cc, attention.cc, elementwise.cc.
void HeadMatmul(const uint16_t* embeddings, int cols, const float* hn, size_t hn_stride,
                int tokens, int row_begin, int row_end, float* logits, size_t logits_stride);
void RmsNorm(const float* x, const float* w, int n, float eps, float* y);
void Rope(float* x, const float* cos, const float* sin, int head_dim);
void AttentionScores(const float* q, const uint16_t* keys, size_t key_stride, int positions,
                     int head_dim, float scale, float* score);
float Max(const float* x, int n);
float ExpSum(const float* x, int n, float m, float* e);
void ScaleRoundF16(const float* e, int n, float inv, float* p);
void WeightedValues(const float* p, size_t p_stride, int heads, const uint16_t* values,
                    size_t value_stride, int positions, int dims, float* o, size_t o_stride);
void SquaredReluMul(const float* gate, const float* up, int n, float* out);
void Add(float* x, const float* y, int n);
void RoundF16(const float* x, int n, float* y);
void ToF16(const float* x, int n, uint16_t* out);

}  // namespace bitbrain::kernels::avx2

#endif  // BITBRAIN_KERNELS_AVX2_AVX2_H_
