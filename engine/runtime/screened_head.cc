#include "engine/runtime/screened_head.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>

namespace bitbrain::runtime {
namespace {

// Every f64 quantity below is a sum or product of at most cols + 8 correctly
// rounded f64 operations, each off by a relative 2^-53 at most; for cols <
// 2^20 their accumulated relative error is below 2^-32. Inflating a bound by
// the factor (1 + kSlack) covers it with room to spare.
constexpr double kSlack = 0x1.0p-30;
// Covers absolute errors too small for any relative factor: an f32 fma or
// add whose result is subnormal may be off by 2^-150, and dot16 does fewer
// than 2^20 of them (each error grows by at most a factor 2 afterwards).
constexpr double kTiny = 0x1.0p-100;

double RoundedUp(double x) { return x * (1 + kSlack); }

// Where head_screen.quantize's outputs lie in one buffer (which the cache
// holds as it is): the coarse and fine planes, then per row the scale,
// code_sq, error_sq and coarse_error_sq.
struct CopyLayout {
  CopyLayout(int rows, size_t code_stride)
      : fine(kernels::HeadScreenCoarseBytes(rows, code_stride)),
        scale(fine + kernels::HeadScreenFineBytes(rows, code_stride)),
        code_sq((scale + rows * sizeof(float) + 7) / 8 * 8),
        error_sq(code_sq + rows * sizeof(int64_t)),
        coarse_error_sq(error_sq + rows * sizeof(double)),
        bytes(coarse_error_sq + rows * sizeof(double)) {}
  size_t fine, scale, code_sq, error_sq, coarse_error_sq, bytes;  // offsets (coarse at 0), total
};

// Rounds to int8 in [-127, 127]; step 0 (a zero vector) gives 0.
int8_t Code(double x, double step) {
  return step == 0 ? 0 : static_cast<int8_t>(std::clamp(std::nearbyint(x / step), -127.0, 127.0));
}

}  // namespace

ScreenedHead::ScreenedHead(const uint16_t* embeddings, int rows, int cols,
                           const kernels::Kernels& kernels, kernels::ThreadPool& pool,
                           const RepackCache* cache)
    : rows_(rows), cols_(cols) {
  const int a = kernels::kHeadScreenBlock;
  code_stride_ = static_cast<size_t>((cols + a - 1) / a * a);
  // dot16 (NUMERICS.md 1.1) adds each product into its lane's chain of
  // ceil(cols / 16) fmas, then 4 tree additions: every product passes through
  // at most k = ceil(cols / 16) + 4 roundings of 2^-24, so (Higham, Accuracy
  // and Stability, 3.1) |dot16(h, e) - h.e| <= gamma_k * sum_i |h_i e_i|
  // <= gamma_k ||h|| ||e|| with gamma_k = k u / (1 - k u).
  const double k = (cols + 15) / 16 + 4;
  const double u = 0x1.0p-24;
  dot_error_ = RoundedUp(k * u / (1 - k * u));

  const CopyLayout layout(rows, code_stride_);
  std::string why;
  if (cache) {
    if (std::optional<MappedCache> mapped = cache->Open(layout.bytes, pool, &why)) {
      cached_ = std::move(*mapped);
      from_cache_ = true;
    } else if (!why.empty()) {
      std::fprintf(stderr, "bitbrain: rebuilding the screening cache %s: %s\n",
                   cache->path().c_str(), why.c_str());
    }
  }
  if (!from_cache()) {
    built_ = AnonymousMemory(layout.bytes, Pages::kPrefaulted);
    uint8_t* out = built_.data();
    const kernels::HeadScreenCopy copy{
        .coarse = out,
        .fine = out + layout.fine,
        .code_stride = code_stride_,
        .scale = reinterpret_cast<float*>(out + layout.scale),
        .code_sq = reinterpret_cast<int64_t*>(out + layout.code_sq),
        .error_sq = reinterpret_cast<double*>(out + layout.error_sq),
        .coarse_error_sq = reinterpret_cast<double*>(out + layout.coarse_error_sq)};
    pool.ParallelRows(rows, 64, [&](int begin, int end) {
      kernels.head_screen.quantize(embeddings, cols, begin, end, copy);
    });
    std::string error;
    if (cache && !cache->Write(out, layout.bytes, pool, &error)) {
      std::fprintf(stderr, "bitbrain: building the screening copy at every start: %s\n",
                   error.c_str());
    }
  }
  const uint8_t* copy = from_cache() ? cached_.payload() : built_.data();
  coarse_ = copy;
  fine_ = copy + layout.fine;
  const auto* code_sq = reinterpret_cast<const int64_t*>(copy + layout.code_sq);
  const auto* error_sq = reinterpret_cast<const double*>(copy + layout.error_sq);
  const auto* coarse_error_sq = reinterpret_cast<const double*>(copy + layout.coarse_error_sq);
  scale_ = reinterpret_cast<const float*>(copy + layout.scale);
  error_norm_.resize(rows);
  norm_.resize(rows);
  coarse_error_norm_.resize(rows);
  coarse_norm_.resize(rows);
  for (int v = 0; v < rows; ++v) {
    // error_sq is an f64 sum of squares (kernels.h): within 2^-32 relative.
    error_norm_[v] = RoundedUp(std::sqrt(error_sq[v]));
    // ||e|| <= ||c codes|| + ||e - c codes|| (triangle inequality), and
    // ||c codes|| = c sqrt(code_sq) with code_sq an exact integer.
    norm_[v] = RoundedUp(scale_[v] * std::sqrt(static_cast<double>(code_sq[v])) + error_norm_[v]);
    // The same for the coarse codes k: ||c k|| <= ||e|| + ||e - c k||.
    coarse_error_norm_[v] = RoundedUp(std::sqrt(coarse_error_sq[v]));
    coarse_norm_[v] = RoundedUp(norm_[v] + coarse_error_norm_[v]);
  }
}

size_t ScreenedHead::bytes() const {
  return kernels::HeadScreenCoarseBytes(rows_, code_stride_) +
         rows_ * (sizeof(float) + 2 * sizeof(double));
}


std::optional<ScreenedHead::Input> ScreenedHead::Quantize(const float* h, int vectors,
                                                          int8_t* q) const {
  double sum_sq = 0;
  float amax = 0;
  for (int i = 0; i < cols_; ++i) {
    if (!std::isfinite(h[i])) return std::nullopt;
    sum_sq += static_cast<double>(h[i]) * h[i];
    amax = std::max(amax, std::fabs(h[i]));
  }
  if (amax == 0) return std::nullopt;
  // Both steps are f32 values, so step * code is exact in f64, and so is
  // each difference below: a code is nonzero only where the value is at
  // least about half a step, so the two terms are within a factor of 3 of
  // each other, each with well under 53 significant bits (f32 values and
  // products of them with int8 codes, or differences of such), and their
  // difference fits f64's 53 bits. Only the squares and their sum round (2^-53
  // relative each: covered by RoundedUp).
  Input input;
  input.vectors = vectors;
  input.step = static_cast<float>(amax / 127.0f);
  for (int i = 0; i < cols_; ++i) q[i] = Code(h[i], input.step);
  std::fill(q + cols_, q + code_stride_, 0);
  int8_t* q_residual = vectors == 2 ? q + code_stride_ : nullptr;
  if (q_residual != nullptr) {
    double first_max = 0;
    for (int i = 0; i < cols_; ++i) {
      first_max = std::max(first_max, std::fabs(h[i] - input.step * q[i]));
    }
    input.residual_step = static_cast<float>(first_max / 127.0);
    std::fill(q_residual + cols_, q_residual + code_stride_, 0);
  }
  double residual_sq = 0;
  for (int i = 0; i < cols_; ++i) {
    double residual = h[i] - input.step * q[i];
    input.q_sum += q[i];
    if (q_residual != nullptr) {
      q_residual[i] = Code(residual, input.residual_step);
      residual -= input.residual_step * q_residual[i];
      input.residual_q_sum += q_residual[i];
    }
    residual_sq += residual * residual;
  }
  input.norm = RoundedUp(std::sqrt(sum_sq));
  input.residual = RoundedUp(std::sqrt(residual_sq));
  return input;
}

// The bound. Row v of the head, e (cols f16 values), has the copy c m
// (c = scale_[v]), m its codes or its coarse codes (head_screen_layout.h);
// the input h has the copy h^ = step q + step' q' (Quantize; step' = 0
// without the residual vector). The screened value
// y = (c m) . h^ = c step (m . q) + c step' (m . q') is exact in real numbers:
// m . q is an exact integer (codes) or half-integer (coarse codes) from the
// kernels' integer products (below), under 2^40 in magnitude. The exact
// logit is x = dot16(h, e) in f32. Then
//
//   x - y = (x - h.e) + h.(e - c m) + (h - h^).(c m)
//
// and by Cauchy-Schwarz and the dot16 rounding bound (constructor):
//
//   |x - y| <= gamma ||h|| ||e|| + ||h|| ||e - c m|| + ||h - h^|| ||c m||
//           <= norm * error_norm + (residual + gamma * norm) * m_norm      (*)
//
// with error_norm >= ||e - c m|| and m_norm >= max(||e||, ||c m||), every
// stored norm rounded up (constructor, Quantize). Evaluating y in f64 (each
// term two roundings, then their sum) is off by at most 2^-51 (|y1| + |y2|),
// y1 and y2 its terms; evaluating (*) and y -/+ bound in f64 adds a few more
// roundings of 2^-53 relative to |y1| + |y2| + bound. The margin below — (*)
// times (1 + 2^-30), plus 2^-30 (|y1| + |y2|), plus 2^-100 for subnormal f32
// results inside dot16 — exceeds all of these, so lower <= x <= upper.
// A row with an Inf or NaN has infinite error norms and gets [-Inf, +Inf].
double ScreenedHead::Bound(const Input& input, double error_norm, double norm, double y1,
                           double y2) const {
  const double e_factor = input.residual + dot_error_ * input.norm;
  return (input.norm * error_norm + e_factor * norm) * (1 + kSlack) +
         (std::fabs(y1) + std::fabs(y2)) * kSlack + kTiny;
}

// With u = codes + 128 (kernels/head_screen_layout.h), the coarse codes are
// 4 (u >> 2) - 126.5, so m . q = 4 (coarse . q) - 126.5 sum(q), coarse . q
// being the kernel's product with the plane's values u >> 2.
void ScreenedHead::CoarseBounds(const Input& input, const int32_t* acc,
                                const int32_t* residual_acc, int begin, int end, double* lower,
                                double* upper) const {
  const double q_offset = 126.5 * input.q_sum;
  const double residual_offset = 126.5 * input.residual_q_sum;
  for (int v = begin; v < end; ++v) {
    const double y1 = input.step * (4.0 * acc[v] - q_offset) * scale_[v];
    const double y2 =
        input.vectors == 2
            ? input.residual_step * (4.0 * residual_acc[v] - residual_offset) * scale_[v]
            : 0;
    const double bound = Bound(input, coarse_error_norm_[v], coarse_norm_[v], y1, y2);
    lower[v] = (y1 + y2) - bound;
    upper[v] = (y1 + y2) + bound;
  }
}

// The codes are u - 128 = 4 (u >> 2) + (u & 3) - 128: m . q = 4 (coarse . q)
// + (fine . q) - 128 sum(q).
void ScreenedHead::Bounds(const Input& input, int v, const Products& products, double* lower,
                          double* upper) const {
  const double y1 =
      input.step * (4.0 * products.coarse + products.fine - 128.0 * input.q_sum) * scale_[v];
  const double y2 = input.vectors == 2
                        ? input.residual_step *
                              (4.0 * products.coarse_residual + products.fine_residual -
                               128.0 * input.residual_q_sum) *
                              scale_[v]
                        : 0;
  const double bound = Bound(input, error_norm_[v], norm_[v], y1, y2);
  *lower = (y1 + y2) - bound;
  *upper = (y1 + y2) + bound;
}

namespace {

// The rows a selection visits, in ascending order: all of [0, count), or a
// list.
struct AllRows {
  int count;
};
size_t RowCount(AllRows rows) { return rows.count; }
size_t RowCount(std::span<const int32_t> rows) { return rows.size(); }
template <typename Visit>
void ForEachRow(AllRows rows, Visit visit) {
  for (int32_t v = 0; v < rows.count; ++v) visit(v);
}
template <typename Visit>
void ForEachRow(std::span<const int32_t> rows, Visit visit) {
  for (const int32_t v : rows) visit(v);
}

// Why the selection holds every row the query needs. Let L_k be the k-th
// best lower bound among the allowed rows not forced. Those k rows have exact
// logits >= their lower bounds >= L_k, so the k-th best exact logit X_k of
// the allowed rows not forced is >= L_k. An allowed row v not forced that
// the query needs has exact logit x_v >= X_k + log_ratio >= L_k +
// log_ratio, and upper[v] >= x_v: it passes `upper[v] >= threshold`. The
// threshold is lowered by 2^-40 of its terms' magnitudes so that a sampler
// computing X_1 + ln(min_p) in f64 (one more rounding, 2^-53 relative) still
// finds every row it keeps selected. With fewer than k such rows the
// threshold is -inf: every allowed row is selected. Among a subset of the
// rows that holds every row the query needs, L_k is taken over the subset:
// still at most X_k, so the argument holds unchanged.
//
// Two passes over the rows: the threshold, then the rows that reach it. The
// first keeps the k + |forced| best lower bounds of the allowed rows in a
// heap (the k best of the rows not forced are among them); rows below its
// smallest, once it is full, are passed over with one comparison. The second
// writes every row and advances only past the selected ones (no branch to
// mispredict) when nothing is forced or excluded.
template <typename Rows>
std::vector<int32_t> SelectAmong(std::span<const double> lower, std::span<const double> upper,
                                 const CandidateQuery& query, Rows rows) {
  std::vector<int32_t> forced = query.forced;
  std::sort(forced.begin(), forced.end());
  forced.erase(std::unique(forced.begin(), forced.end()), forced.end());

  using Best = std::pair<double, int32_t>;  // a lower bound and its row
  const size_t keep = static_cast<size_t>(query.k) + forced.size();
  std::vector<Best> best;  // a min-heap
  best.reserve(keep + 1);
  // A row with lower bound -inf (or NaN) is left out: with fewer than k
  // other rows the threshold is -inf all the same, and otherwise it is not
  // among the k best.
  double floor = -std::numeric_limits<double>::infinity();
  ForEachRow(rows, [&](int32_t v) {
    if (!(lower[v] > floor) || !Allows(query.allowed, v)) return;
    best.push_back({lower[v], v});
    std::push_heap(best.begin(), best.end(), std::greater<>());
    if (best.size() > keep) {
      std::pop_heap(best.begin(), best.end(), std::greater<>());
      best.pop_back();
    }
    if (best.size() == keep) floor = best.front().first;
  });
  std::vector<double> not_forced;  // the heap's lower bounds of rows not forced
  for (const auto& [bound, v] : best) {
    if (!std::binary_search(forced.begin(), forced.end(), v)) not_forced.push_back(bound);
  }
  double threshold = -std::numeric_limits<double>::infinity();
  if (not_forced.size() >= static_cast<size_t>(query.k)) {
    std::nth_element(not_forced.begin(), not_forced.begin() + (query.k - 1), not_forced.end(),
                     std::greater<>());
    const double kth = not_forced[query.k - 1];
    threshold = kth + query.log_ratio -
                0x1.0p-40 * (std::fabs(kth) + std::fabs(query.log_ratio)) - kTiny;
  }

  std::vector<int32_t> ids(RowCount(rows));
  size_t selected = 0;
  if (forced.empty() && query.allowed.empty()) {
    ForEachRow(rows, [&](int32_t v) {
      ids[selected] = v;
      selected += upper[v] >= threshold;
    });
  } else {
    size_t f = 0;  // the first forced row >= v, walking along
    ForEachRow(rows, [&](int32_t v) {
      while (f < forced.size() && forced[f] < v) ++f;
      const bool v_forced = f < forced.size() && forced[f] == v;
      if (Allows(query.allowed, v) && (upper[v] >= threshold || v_forced)) ids[selected++] = v;
    });
  }
  ids.resize(selected);
  return ids;
}

}  // namespace

std::vector<int32_t> ScreenedHead::Select(std::span<const double> lower,
                                          std::span<const double> upper,
                                          const CandidateQuery& query) {
  return SelectAmong(lower, upper, query, AllRows{static_cast<int>(lower.size())});
}

std::vector<int32_t> ScreenedHead::Select(std::span<const double> lower,
                                          std::span<const double> upper,
                                          const CandidateQuery& query,
                                          std::span<const int32_t> rows) {
  return SelectAmong(lower, upper, query, rows);
}

}  // namespace bitbrain::runtime
