// The kernel registry: one table of function pointers per instruction-set
// variant (isa.h), one signature per kernel family.
//
// The scalar table defines the results: every other variant must produce the
// same bits (conformance/NUMERICS.md), which conformance/ checks for every
// table in the registry. A variant that does not specialise a family points
// at a lower variant's function. To add a variant of a family: write it in
// kernels/<isa>/<family>.cc, declare it in kernels/<isa>/<isa>.h and point the
// table entry in registry.cc at it.
//
// Kernels are single-threaded over the range of output rows they are given;
// ThreadPool (thread_pool.h) splits rows among threads. Every output element
// is computed wholly by one call, so no result depends on the split.
#ifndef BITBRAIN_KERNELS_KERNELS_H_
#define BITBRAIN_KERNELS_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "kernels/head_screen_layout.h"
#include "kernels/isa.h"

namespace bitbrain::kernels {

// ---- BitLinear (NUMERICS.md section 2.3) ----------------------------------

// Quantizes one token's activations x[0..cols) to q (int8), its scale s and
// the sum of q (which the SIMD matmuls need: they accumulate code * q with
// code = t + 1 and subtract it). A non-finite token gives q = 0, s NaN or 0.
// cols is a multiple of 128, as for the matmul.
using QuantizeActivationsFn = void (*)(const float* x, int cols, int8_t* q, float* scale,
                                       int32_t* q_sum);

// T tokens of quantized activations as QuantizeActivationsFn produced them.
struct QuantizedActivations {
  const int8_t* q;       // token t's cols values start at q + t * q_stride
  size_t q_stride;
  const float* scale;    // [tokens]
  const int32_t* q_sum;  // [tokens]
  int tokens;
};

// y[t * y_stride + r] = (f32(sum_i w[r][i] * q[t][i]) / scale[t]) * w_scale
// for rows r in [row_begin, row_end) and all tokens, from weights in the
// variant's packed layout (see TernaryMatmul). cols is a multiple of 128;
// row_begin is a multiple of TernaryMatmul::row_tile; row_end is a multiple of
// it or equals rows.
using TernaryMatmulFn = void (*)(const uint8_t* packed, int rows, int cols, float w_scale,
                                 const QuantizedActivations& x, int row_begin, int row_end,
                                 float* y, size_t y_stride);

// The ternary weight layouts every variant offers. Both hold the same ternary
// values, so every dot product is the same integer and the results are the
// same bits: 2 bits per weight (I2_S's codes, rearranged), or compact, which a
// GEMV reads 17-20% fewer bytes of (kernels/ternary_layout.h: base-3, 1.6 bits
// per weight, for scalar; triples, 5/3 bits, for avx2).
enum class TernaryLayout { kTwoBit, kCompact };
inline constexpr TernaryLayout kTernaryLayouts[] = {TernaryLayout::kTwoBit,
                                                    TernaryLayout::kCompact};
const char* TernaryLayoutName(TernaryLayout layout);  // "2bit", "compact"
// The layout TernaryLayoutName() names; nullopt for another name.
std::optional<TernaryLayout> ParseTernaryLayout(std::string_view name);

// A ternary matmul and its weight layout. Weights are repacked once, at load
// time, from the file's I2_S bytes into the layout the kernel streams best.
struct TernaryMatmul {
  // Names the packed bytes (e.g. for a cache of them); a new version of a
  // layout gets a new name.
  const char* layout;
  int row_tile;  // rows are split among threads in multiples of this
  // Bytes of the packed layout of a rows x cols weight matrix.
  size_t (*packed_bytes)(int rows, int cols);
  // Repacks the I2_S data of a rows x cols tensor (kernels/formats/i2s.h;
  // rows * cols / 4 code bytes, the scale is not read) into out.
  void (*pack)(const uint8_t* i2s, int rows, int cols, uint8_t* out);
  TernaryMatmulFn matmul;
};

// ---- LM head (section 2.7) -------------------------------------------------

// logits[t * logits_stride + v] = dot16(hn[t], f32(E[v])) for rows v in
// [row_begin, row_end): E is rows x cols f16 (row v at E + v * cols), hn[t] at
// hn + t * hn_stride holds cols floats that are already f16 values.
using HeadMatmulFn = void (*)(const uint16_t* embeddings, int cols, const float* hn,
                              size_t hn_stride, int tokens, int row_begin, int row_end,
                              float* logits, size_t logits_stride);

// ---- Screening the LM head (engine/runtime/screened_head.h) ----------------

// The screening copy's layout: head_screen_layout.h.

// The screening copy of the f16 rows [row_begin, row_end) of E (row v at
// embeddings + v * cols). Per row v, in f32 unless said otherwise:
//   amax = max_i |E[v][i]|;  scale[v] = amax / 127;  inv = 127 / amax
//   codes[v][i] = clamp(rint(E[v][i] * inv), -127, 127), stored in the
//     planes as u (above)
//   code_sq[v] = sum_i codes[v][i]^2 (exact)
//   error_sq[v] = sum_i (f64(E[v][i]) - f64(scale[v]) * codes[v][i])^2 in f64,
//     accumulated in 4 lanes (element i into lane i % 4, increasing i, no fma),
//     then (lane0 + lane1) + (lane2 + lane3)
//   coarse_error_sq[v]: the same with the coarse codes 4 (u >> 2) - 126.5
// A row of zeros gets scale 0 and codes 0; a row holding an Inf or NaN gets
// scale 0, codes 0, and error_sq and coarse_error_sq +Inf.
using HeadScreenQuantizeFn = void (*)(const uint16_t* embeddings, int cols, int row_begin,
                                      int row_end, const HeadScreenCopy& copy);

// The coarse product: acc[t * acc_stride + v] = sum_i (u[v][i] >> 2) * q[t][i]
// over i in [0, code_stride), exact in int32, for rows v in [row_begin,
// row_end) and vectors t in [0, vectors): q[t] at q + t * code_stride, values
// in [-127, 127]; code_stride is a multiple of kHeadScreenBlock. Only the
// coarse plane of rows [row_begin, row_end) is read.
using HeadScreenFn = void (*)(const uint8_t* coarse, size_t code_stride, const int8_t* q,
                              int vectors, int row_begin, int row_end, int32_t* acc,
                              size_t acc_stride);

// The fine product of `count` rows (ids at rows): acc[t * acc_stride + j] =
// sum_i (u[rows[j]][i] & 3) * q[t][i], as HeadScreenFn otherwise.
using HeadScreenFineFn = void (*)(const uint8_t* fine, size_t code_stride, const int8_t* q,
                                  int vectors, const int32_t* rows, int count, int32_t* acc,
                                  size_t acc_stride);

struct HeadScreen {
  HeadScreenQuantizeFn quantize;
  HeadScreenFn screen;
  HeadScreenFineFn refine;
};

// ---- Float kernels (sections 1 and 2) --------------------------------------

// y = RMSNorm(x) with weight w over n values (section 2.2); y may alias x.
using RmsNormFn = void (*)(const float* x, const float* w, int n, float eps, float* y);

// Rotates one head of head_dim values in place (section 1.4, NEOX pairs i and
// i + head_dim/2) with the position's table cos[head_dim/2], sin[head_dim/2].
using RopeFn = void (*)(float* x, const float* cos, const float* sin, int head_dim);

// Attention scores (section 2.4): score[j] = dot16(q, f32(K[j])) * scale for
// j in [0, positions); q holds head_dim f16 values as floats; K[j] is the f16
// key at keys + j * key_stride.
using AttentionScoresFn = void (*)(const float* q, const uint16_t* keys, size_t key_stride,
                                   int positions, int head_dim, float scale, float* score);

// max over x[0..n) (section 2.4), with bits independent of the search order:
// the first NaN if any x is NaN (section 4), +0 ranked above -0; -Inf if n = 0.
using MaxFn = float (*)(const float* x, int n);

// e[j] = exp_c(x[j] - m) for j in [0, n); returns sum16(e) (sections 1.3, 2.4).
using ExpSumFn = float (*)(const float* x, int n, float m, float* e);

// p[j] = RoundToF16(e[j] * inv) for j in [0, n); p may alias e.
using ScaleRoundF16Fn = void (*)(const float* e, int n, float inv, float* p);

// o_g[d] = sum_j p_g[j] * f32(V[j][d]) as the fma chain over j = 0, 1, ...
// from +0 (section 2.4), for the query heads g in [0, heads) that read the
// same values (grouped-query attention: one pass over V serves them all) and
// d in [0, dims); p_g at p + g * p_stride, o_g at o + g * o_stride, V[j] at
// values + j * value_stride.
using WeightedValuesFn = void (*)(const float* p, size_t p_stride, int heads,
                                  const uint16_t* values, size_t value_stride, int positions,
                                  int dims, float* o, size_t o_stride);

// out[i] = (r * r) * up[i] with r = max(gate[i], +0) (section 2.5); out may
// alias gate or up.
using SquaredReluMulFn = void (*)(const float* gate, const float* up, int n, float* out);

// x[i] = x[i] + y[i] (section 2.6).
using AddFn = void (*)(float* x, const float* y, int n);

// y[i] = RoundToF16(x[i]) (section 1.2: q and the head input); y may alias x.
using RoundF16Fn = void (*)(const float* x, int n, float* y);

// out[i] = f16(x[i]) (section 1.2: keys and values for the KV cache).
using ToF16Fn = void (*)(const float* x, int n, uint16_t* out);

// ---- The table -------------------------------------------------------------

struct Kernels {
  Isa isa;
  QuantizeActivationsFn quantize_activations;
  TernaryMatmul ternary_matmul;          // TernaryLayout::kTwoBit
  TernaryMatmul compact_ternary_matmul;  // TernaryLayout::kCompact
  HeadMatmulFn head_matmul;
  HeadScreen head_screen;
  RmsNormFn rmsnorm;
  RopeFn rope;
  AttentionScoresFn attention_scores;
  MaxFn max;
  ExpSumFn exp_sum;
  ScaleRoundF16Fn scale_round_f16;
  WeightedValuesFn weighted_values;
  SquaredReluMulFn squared_relu_mul;
  AddFn add;
  RoundF16Fn round_f16;
  ToF16Fn to_f16;

  const TernaryMatmul& ternary(TernaryLayout layout) const {
    return layout == TernaryLayout::kCompact ? compact_ternary_matmul : ternary_matmul;
  }
};

// The table of one variant (whether or not this CPU can run it).
const Kernels& KernelsFor(Isa isa);

// The table of ActiveIsa().
const Kernels& ActiveKernels();

}  // namespace bitbrain::kernels

#endif  // BITBRAIN_KERNELS_KERNELS_H_
