// IEEE binary16 <-> binary32 conversions, bit-exact to x86 F16C
// (vcvtps2ph with round-to-nearest-even, vcvtph2ps). The scalar code here is
// the definition; SIMD kernels use the hardware instructions and conformance
// tests check that the two agree on every f16 value and on edge-case floats.
#ifndef BITBRAIN_KERNELS_FORMATS_F16_H_
#define BITBRAIN_KERNELS_FORMATS_F16_H_

#include <cstdint>

namespace bitbrain {

// Exact: every binary16 value is representable in binary32. A NaN keeps its
// sign and payload and comes out quiet, as vcvtph2ps makes it.
float F16ToF32(uint16_t h);

// Round to nearest, ties to even; overflow gives infinity; subnormal results
// are produced (not flushed); NaN keeps its sign and the top 10 payload bits
// and is made quiet, as F16C does.
uint16_t F32ToF16(float f);

// Rounds a float to the nearest binary16 value and back.
inline float RoundToF16(float f) { return F16ToF32(F32ToF16(f)); }

}  // namespace bitbrain

#endif  // BITBRAIN_KERNELS_FORMATS_F16_H_
