// The values of synthetic tensors, drawn so that they look like a trained
// BitNet b1.58 model's: ternary weights from Gaussian latent weights
// ternarized per tensor by absmean (about a third zeros), norm weights near
// 1, F16 embeddings of realistic magnitude.
//
// Every tensor's values depend only on (seed, tensor name): a tensor is split
// into chunks of kChunkElements, each drawn from its own random stream, so
// the bytes are the same whatever the number of threads or the order in
// which tensors are generated.
#ifndef BITBRAIN_ENGINE_SYNTHETIC_WEIGHTS_H_
#define BITBRAIN_ENGINE_SYNTHETIC_WEIGHTS_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace bitbrain::synthetic {

inline constexpr size_t kChunkElements = size_t{1} << 16;

// Indices into StandardNormalTable() for n elements: element j's standard
// normal sample is StandardNormalTable()[indices[j]].
std::vector<uint16_t> SampleNormalIndices(uint64_t seed, std::string_view name, size_t n);

// An I2_S tensor of n elements (n a multiple of 128) into out
// (i2s::TensorBytes(n) bytes). Latent weights W = sigma * z (float) with z
// standard normal; scale = mean |W| (summed in double, rounded to float);
// ternary t = clamp(round(W / scale), -1, 1); the scale is the I2_S scale.
void FillTernary(uint64_t seed, std::string_view name, float sigma, std::span<uint8_t> out);

// F32 values mean + sigma * z (as float) into out (4 bytes each).
void FillF32(uint64_t seed, std::string_view name, float mean, float sigma, std::span<uint8_t> out);

// F16 values F32ToF16(sigma * z) into out (2 bytes each).
void FillF16(uint64_t seed, std::string_view name, float sigma, std::span<uint8_t> out);

}  // namespace bitbrain::synthetic

#endif  // BITBRAIN_ENGINE_SYNTHETIC_WEIGHTS_H_
