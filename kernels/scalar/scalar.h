// The scalar kernels: plain C++ that defines, operation by operation, what
// every SIMD variant must compute (conformance/NUMERICS.md). Signatures are
// the families' in kernels/kernels.h.
#ifndef BITBRAIN_KERNELS_SCALAR_SCALAR_H_
#define BITBRAIN_KERNELS_SCALAR_SCALAR_H_

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace bitbrain::kernels::scalar {

// quantize_activations.cc
void QuantizeActivations(const float* x, int cols, int8_t* q, float* scale, int32_t* q_sum);

// ternary_matmul.cc: weights stay in the file's I2_S layout.
inline constexpr int kTernaryRowTile = 1;
size_t TernaryPackedBytes(int rows, int cols);
void TernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out);
void TernaryMatmul(const uint8_t* packed, int rows, int cols, float w_scale,
                   const QuantizedActivations& x, int row_begin, int row_end, float* y,
                   size_t y_stride);
// compact_ternary_matmul.cc: the base-3 layout (kernels/ternary_layout.h),
// one row per group.
size_t CompactTernaryPackedBytes(int rows, int cols);
void CompactTernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out);
void CompactTernaryMatmul(const uint8_t* packed, int rows, int cols, float w_scale,
                          const QuantizedActivations& x, int row_begin, int row_end, float* y,
                          size_t y_stride);

// building_blocks.cc: NUMERICS.md section 1, for the kernels here and for
// tests. dot16 and sum16 (section 1.1) of n values, and exp_c (1.3).
float Dot16(const float* a, const float* b, int n);
float Dot16(const float* a, const uint16_t* b_f16, int n);
float Sum16(const float* a, int n);
float ExpC(float x);

// head_matmul.cc
void HeadMatmul(const uint16_t* embeddings, int cols, const float* hn, size_t hn_stride,
                int tokens, int row_begin, int row_end, float* logits, size_t logits_stride);

// head_screen.cc: the LM head's screening copy.
void HeadScreenQuantize(const uint16_t* embeddings, int cols, int row_begin, int row_end,
                        const HeadScreenCopy& copy);
void HeadScreen(const uint8_t* coarse, size_t code_stride, const int8_t* q, int vectors,
                int row_begin, int row_end, int32_t* acc, size_t acc_stride);
void HeadScreenRefine(const uint8_t* fine, size_t code_stride, const int8_t* q, int vectors,
                      const int32_t* rows, int count, int32_t* acc, size_t acc_stride);

// rmsnorm.cc
void RmsNorm(const float* x, const float* w, int n, float eps, float* y);

// rope.cc
void Rope(float* x, const float* cos, const float* sin, int head_dim);

// attention.cc
void AttentionScores(const float* q, const uint16_t* keys, size_t key_stride, int positions,
                     int head_dim, float scale, float* score);
float Max(const float* x, int n);
float ExpSum(const float* x, int n, float m, float* e);
void ScaleRoundF16(const float* e, int n, float inv, float* p);
void WeightedValues(const float* p, size_t p_stride, int heads, const uint16_t* values,
                    size_t value_stride, int positions, int dims, float* o, size_t o_stride);

// elementwise.cc
void SquaredReluMul(const float* gate, const float* up, int n, float* out);
void Add(float* x, const float* y, int n);
void RoundF16(const float* x, int n, float* y);
void ToF16(const float* x, int n, uint16_t* out);

}  // namespace bitbrain::kernels::scalar

#endif  // BITBRAIN_KERNELS_SCALAR_SCALAR_H_
