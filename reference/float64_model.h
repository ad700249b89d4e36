// The forward pass again with every float operation in f64 (plain sums in
// sequence order, libm exp/cos/sin), to measure how far the contract's
// logits are from exact arithmetic (NUMERICS.md section 6) and to check the
// reference against independent math in tests.
//
// Roundings to an integer (activation quantization) or to f16 are
// discontinuous: a value that lies within rounding error of a boundary may
// legitimately round the other way in f64 than in f32, and one flipped
// integer moves the logits far more than all the f32 rounding errors
// together. So at each such point the f64 pass follows the contract's
// decision, read from a Trace of the same tokens, and records how far its own
// value lay beyond the boundary it would have had to cross (the "excess").
// A mistake in the contract's computation shows up as a large excess.
#ifndef BITBRAIN_REFERENCE_FLOAT64_MODEL_H_
#define BITBRAIN_REFERENCE_FLOAT64_MODEL_H_

#include <cstdint>
#include <span>

#include <Eigen/Core>

#include "engine/gguf/gguf.h"
#include "reference/model.h"

namespace bitbrain::reference {

using Matrix64 = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Float64Options {
  // Round q, k, v, the attention probabilities and the head input to f16
  // where the contract does (following its decisions); if false they stay f64.
  bool f16_rounding_points = true;
};

// How the f64 values agreed with the contract's rounding decisions.
struct RoundingAgreement {
  int64_t quantized_values = 0;
  // Values whose f64 quantization gives another integer than the contract's.
  int64_t quantization_disagreements = 0;
  // The largest distance by which an f64 value x * s lay beyond the rounding
  // boundary between its integer and the contract's, divided by 127 (the
  // quantized row's largest magnitude): relative to the row's scale.
  double max_quantization_excess = 0;
  int64_t f16_values = 0;
  int64_t f16_disagreements = 0;
  // The same for f16 roundings, relative to the largest magnitude of the
  // rounded vector (a head of q, k or v; a row of probabilities; a head input).
  double max_f16_excess = 0;
};

struct Float64Result {
  Matrix64 logits;  // one row per token
  RoundingAgreement agreement;
};

// Evaluates tokens (from position 0) in f64. `contract` is the Trace of
// ReferenceModel::Forward(tokens, Logits::kAll) on a fresh model of the same
// file. Throws std::invalid_argument if the trace does not match.
Float64Result EvaluateFloat64(const gguf::File& file, std::span<const int32_t> tokens,
                              const Trace& contract, const Float64Options& options);

// x rounded to the nearest f16 value (ties to even) directly from f64, with
// f16's subnormals and overflow to infinity.
double RoundF64ToF16(double x);

}  // namespace bitbrain::reference

#endif  // BITBRAIN_REFERENCE_FLOAT64_MODEL_H_
