// The RoPE rotation table (NUMERICS.md section 1.4), which the engine's RoPE
// kernel calls (kernels.h, RopeFn) take as input.
#ifndef BITBRAIN_KERNELS_ROPE_TABLE_H_
#define BITBRAIN_KERNELS_ROPE_TABLE_H_

namespace bitbrain::kernels {

// cos[i] and sin[i] of position pos for the pairs i in [0, head_dim / 2):
// angle = f64(pos) * pow(freq_base, -2 i / head_dim), all in f64 with libm,
// then cos and sin rounded to f32 once. Depends only on (pos, i).
void RopeCosSin(int pos, int head_dim, double freq_base, float* cos, float* sin);

}  // namespace bitbrain::kernels

#endif  // BITBRAIN_KERNELS_ROPE_TABLE_H_
