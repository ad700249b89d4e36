// The numerics contract's building blocks (conformance/NUMERICS.md), written
// plainly, one function per rule of the document. These are the definitions
// the reference forward pass uses; the kernels must produce the same bits.
#ifndef BITBRAIN_REFERENCE_NUMERICS_H_
#define BITBRAIN_REFERENCE_NUMERICS_H_

#include <cstdint>
#include <span>
#include <vector>

namespace bitbrain::reference {

// ---- Section 1: building blocks ---------------------------------------------

// The canonical sum over 16 interleaved lanes and a pairwise tree (1.1).
float Sum16(std::span<const float> a);
// The canonical dot product: fma into 16 interleaved lanes, pairwise tree (1.1).
float Dot16(std::span<const float> a, std::span<const float> b);
// Dot16(x, x).
float SumSq16(std::span<const float> x);

// The contract's exp (1.3): Cody-Waite range reduction and Cephes' polynomial.
float ExpC(float x);

// The RoPE table entry for position pos and pair i of a head of head_dim
// values (1.4): angle in f64, cos and sin rounded to f32 once.
struct RopeCosSin {
  float cos;
  float sin;
};
RopeCosSin RopeTableEntry(int pos, int i, int head_dim, float freq_base);

// Rotates one head in place, NEOX style: pairs (i, i + head_dim/2) (1.4).
void RopeNeox(std::span<float> head, int pos, float freq_base);

// ---- Section 2: the operations ----------------------------------------------

// y = RMSNorm(x) * w (2.2). y may alias x.
void RmsNorm(std::span<const float> x, std::span<const float> w, float eps, std::span<float> y);

// One token's activations quantized for BitLinear (2.3).
struct QuantizedActivations {
  std::vector<int8_t> q;
  float scale = 0;  // s; NaN or 0 for a non-finite row
};
QuantizedActivations QuantizeActivations(std::span<const float> x);

// The BitLinear rescale of an exact integer dot product (2.3).
float Rescale(int32_t acc, float scale, float weight_scale);

// max over a non-empty x, NaN if any element is NaN (section 4).
float MaxPropagatingNaN(std::span<const float> x);

// The attention softmax over the scores of positions 0..pos (2.4), before
// the f16 rounding of the probabilities: p[j] = exp_c(x[j] - m) * (1 / sum).
std::vector<float> Softmax(std::span<const float> x);

// The squared-ReLU gate of the feed-forward (2.5): (r * r) * up with
// r = max(gate, +0), NaN for a NaN gate.
float SquaredReluGate(float gate, float up);

}  // namespace bitbrain::reference

#endif  // BITBRAIN_REFERENCE_NUMERICS_H_
