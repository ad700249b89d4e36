// The bound-screened LM head: an int8 copy of the head (one scale per row,
// a quarter of the F16 bytes) gives, for every row, an interval that
// provably holds the row's exact logit (NUMERICS.md section 2.8, dot16 in
// f32); only the rows whose interval reaches a query's threshold are then
// computed exactly (candidates.h). The result is the full head's, bit for
// bit, on the rows a sampler can pick.
//
// The copy's codes are stored as a coarse plane (their top 6 bits) and a fine
// plane (the low 2; kernels' head_screen_layout.h), so the screen narrows the
// rows down twice, reading the fine plane only for the rows left after the
// coarse one. Per step, for each head input h (f16 values):
//   Quantize(h)    h as int8 q, and for a single input also the codes of the
//                  rounding q leaves (h ~ step q + residual_step q_residual)
//   screen         kernels' head_screen: integer dot products of every row's
//                  coarse codes with them (one pass over the plane for a batch)
//   CoarseBounds   lower[v] <= exact logit of row v <= upper[v] (proof in the .cc)
//   Select         the rows a CandidateQuery needs, by these bounds
//   refine         kernels' head_screen: the fine plane's products of some of
//                  those rows,
//   Bounds         and their bounds from the full codes, ~4 times narrower
//   Select         again, among the rows selected before (the engine narrows in
//                  rounds: Engine::NarrowCandidates)
// Built once at load from the F16 embeddings (kernels' head_screen.quantize),
// or mapped from a cache file beside the model (repack_cache.h) written the
// first time.
#ifndef BITBRAIN_ENGINE_RUNTIME_SCREENED_HEAD_H_
#define BITBRAIN_ENGINE_RUNTIME_SCREENED_HEAD_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/runtime/candidates.h"
#include "engine/runtime/memory.h"
#include "engine/runtime/repack_cache.h"
#include "kernels/kernels.h"
#include "kernels/thread_pool.h"

namespace bitbrain::runtime {

class ScreenedHead {
 public:
  // One head input quantized for screening: h^ = step * q, plus
  // residual_step * q_residual with the residual vector. That second vector,
  // int8 codes of what q leaves, makes ||h - h^|| ~127 times smaller, so that
  // the bound is about the copy's own error: half as wide, which leaves ~1/10
  // of the rows to compute exactly. It costs the screen a second product per
  // code, which is free for a single input (that pass is limited by reading
  // the copy) but not for a batch (limited by the products).
  struct Input {
    int vectors = 1;             // 1: q alone; 2: q and q_residual
    double step = 0;
    double residual_step = 0;    // 0 without the residual vector
    double norm = 0;      // >= ||h||
    double residual = 0;  // >= ||h - h^||
    int64_t q_sum = 0;           // sum_i q[i]
    int64_t residual_q_sum = 0;  // sum_i q_residual[i]
  };

  // A row's integer products with an input's vectors: with the coarse plane
  // (kernels' screen) and, once refined, with the fine plane.
  struct Products {
    int32_t coarse = 0, coarse_residual = 0;
    int32_t fine = 0, fine_residual = 0;
  };
  static constexpr int kMaxVectorsPerInput = 2;

  // The cache's name for the copy's format (RepackCache's layout).
  static constexpr const char* kCacheLayout = "head-screen-planes-6-2-v1";

  ScreenedHead() = default;
  // Quantizes the rows x cols F16 head with `kernels`, rows split over `pool`;
  // with `cache`, maps the copy from it instead if it is valid, or else writes
  // the copy it built there.
  ScreenedHead(const uint16_t* embeddings, int rows, int cols, const kernels::Kernels& kernels,
               kernels::ThreadPool& pool, const RepackCache* cache = nullptr);

  int rows() const { return rows_; }
  // Bytes from one q vector (and one row's codes) to the next.
  size_t code_stride() const { return code_stride_; }
  const uint8_t* coarse() const { return coarse_; }
  const uint8_t* fine() const { return fine_; }
  // Whether the copy was mapped from the cache.
  bool from_cache() const { return from_cache_; }
  // What a screening pass reads: the coarse plane and the per-row numbers.
  size_t bytes() const;

  // Writes `vectors` (1 or 2) int8 vectors of code_stride() each at q: q,
  // then q_residual; nullopt if h (cols floats) holds an Inf or NaN or only zeros, for which
  // the caller computes the full head instead.
  std::optional<Input> Quantize(const float* h, int vectors, int8_t* q) const;

  // lower[v] <= (exact logit of row v) <= upper[v] for v in [begin, end),
  // from acc[v] = coarse[v] . q and, for an input with the residual vector,
  // residual_acc[v] = coarse[v] . q_residual (otherwise not read). A row
  // holding an Inf or NaN gets [-Inf, +Inf].
  void CoarseBounds(const Input& input, const int32_t* acc, const int32_t* residual_acc,
                    int begin, int end, double* lower, double* upper) const;
  // The same for row v from its full codes' products (~4 times narrower).
  void Bounds(const Input& input, int v, const Products& products, double* lower,
              double* upper) const;

  // The rows `query` needs (candidates.h), ids ascending, given every row's
  // bounds: of the rows the query allows, the forced ones and every other
  // whose upper bound reaches the k-th best lower bound of the allowed rows
  // not forced, plus log_ratio.
  static std::vector<int32_t> Select(std::span<const double> lower, std::span<const double> upper,
                                     const CandidateQuery& query);
  // The same among `rows` only (ascending; every row the query needs among
  // them), with the bounds of those rows.
  static std::vector<int32_t> Select(std::span<const double> lower, std::span<const double> upper,
                                     const CandidateQuery& query, std::span<const int32_t> rows);

 private:
  // The half-width of a row's interval around y = y1 + y2 (the .cc), from
  // its error_norm and norm for the codes or the coarse codes.
  double Bound(const Input& input, double error_norm, double norm, double y1, double y2) const;

  int rows_ = 0;
  int cols_ = 0;
  size_t code_stride_ = 0;
  double dot_error_ = 0;  // gamma of dot16's f32 rounding (the .cc)
  // The kernel's output, built_ or cached_: the planes, then scale, code_sq,
  // error_sq and coarse_error_sq (kernels.h) at the offsets of the .cc's
  // CopyLayout.
  AnonymousMemory built_;
  MappedCache cached_;
  bool from_cache_ = false;
  const uint8_t* coarse_ = nullptr;
  const uint8_t* fine_ = nullptr;
  const float* scale_ = nullptr;     // c[v]: row v ~ c[v] * codes[v] (in the copy)
  std::vector<double> error_norm_;   // >= ||e_v - c[v] codes[v]||
  std::vector<double> norm_;         // >= max(||e_v||, ||c[v] codes[v]||)
  // The same for the coarse codes (head_screen_layout.h).
  std::vector<double> coarse_error_norm_;
  std::vector<double> coarse_norm_;
};

}  // namespace bitbrain::runtime

#endif  // BITBRAIN_ENGINE_RUNTIME_SCREENED_HEAD_H_
