// The avx512 kernels: AVX-512 F/BW/VL + VNNI, and F16C. Only this directory is compiled with
// -mavx512f -mavx512bw -mavx512vl
// -mavx512vnni -mavx2 -mfma -mf16c (see BUILD), and nothing here may run unless
// CpuSupports(Isa::kAvx512). Signatures are the families' in kernels/kernels.h;
// each kernel must give the scalar kernel's bits.
//
// Code here must not instantiate inline functions or templates that generic
// code also uses (std::min, std::vector, ...): the linker keeps one copy of
// each, and it could be the one compiled with these flags.
#ifndef BITBRAIN_KERNELS_AVX512_AVX512_H_
#define BITBRAIN_KERNELS_AVX512_AVX512_H_

#include <cstddef>
#include <cstdint>

#include "kernels/kernels.h"

namespace bitbrain::kernels::avx512 {

// quantize_activations.cc
void QuantizeActivations(const float* x, int cols, int8_t* q, float* scale, int32_t* q_sum);

// ternary_matmul.cc: the row-interleaved layout (kernels/ternary_layout.h) in
// groups of 64 rows; a GEMV block is one group.
inline constexpr int kTernaryRowTile = 64;
size_t TernaryPackedBytes(int rows, int cols);
void TernaryPack(const uint8_t* i2s, int rows, int cols, uint8_t* out);
void TernaryMatmul(const uint8_t* packed, int rows, int cols, float w_scale,
                   const QuantizedActivations& x, int row_begin, int row_end, float* y,
                   size_t y_stride);

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
void SquaredReluMul(const float* gate, const float* up, int n, float* out);
void Add(float* x, const float* y, int n);
void RoundF16(const float* x, int n, float* y);
void ToF16(const float* x, int n, uint16_t* out);

}  // namespace bitbrain::kernels::avx512

#endif  // BITBRAIN_KERNELS_AVX512_AVX512_H_
