// The screened head's bounds and selection (screened_head.h) on random and
// adversarial heads: the exact logit always lies within the coarse bounds and
// within the full codes' bounds, each bound is nearly reached where the head
// input points along a row's quantization error (so a bound weakened by 10%
// fails here), and the selection, among all rows or a subset, holds every row
// a query needs, including one-ulp near-ties, and none its allowed set
// excludes.
#include "engine/runtime/screened_head.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "kernels/formats/f16.h"

namespace bitbrain::runtime {
namespace {

const kernels::Kernels& Active() { return kernels::ActiveKernels(); }

struct Head {
  int rows, cols;
  std::vector<uint16_t> e;  // f16
};

Head RandomHead(int rows, int cols, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, sigma);
  Head head{rows, cols, std::vector<uint16_t>(static_cast<size_t>(rows) * cols)};
  for (uint16_t& x : head.e) x = F32ToF16(static_cast<float>(normal(rng)));
  return head;
}

std::vector<float> RandomInput(int cols, double sigma, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, sigma);
  std::vector<float> h(cols);
  for (float& x : h) x = RoundToF16(static_cast<float>(normal(rng)));
  return h;
}

// The contract's logits (scalar kernel) of every row.
std::vector<float> Exact(const Head& head, const std::vector<float>& h) {
  std::vector<float> logits(head.rows);
  kernels::KernelsFor(kernels::Isa::kScalar)
      .head_matmul(head.e.data(), head.cols, h.data(), head.cols, 1, 0, head.rows, logits.data(),
                   head.rows);
  return logits;
}

struct Bounds {
  std::vector<double> lower, upper;
};

// Which codes give the bounds: the coarse codes, or the full codes.
enum class Codes { kCoarse, kFull };

// Every row's bounds from h quantized to `vectors` int8 vectors (1: q alone;
// 2: with the residual vector).
Bounds Screen(const ScreenedHead& screened, const std::vector<float>& h, Codes codes,
              int vectors = ScreenedHead::kMaxVectorsPerInput) {
  const size_t stride = screened.code_stride();
  std::vector<int8_t> q(vectors * stride);
  const std::optional<ScreenedHead::Input> input = screened.Quantize(h.data(), vectors, q.data());
  REQUIRE(input);
  const int rows = screened.rows();
  std::vector<int32_t> acc(vectors * rows);
  Active().head_screen.screen(screened.coarse(), stride, q.data(), vectors, 0, rows, acc.data(),
                              rows);
  Bounds b{std::vector<double>(rows), std::vector<double>(rows)};
  screened.CoarseBounds(*input, acc.data(), vectors == 2 ? acc.data() + rows : nullptr, 0, rows,
                        b.lower.data(), b.upper.data());
  if (codes == Codes::kFull) {
    std::vector<int32_t> all(rows), fine(vectors * rows);
    for (int v = 0; v < rows; ++v) all[v] = v;
    Active().head_screen.refine(screened.fine(), stride, q.data(), vectors, all.data(), rows,
                                fine.data(), rows);
    for (int v = 0; v < rows; ++v) {
      ScreenedHead::Products products{.coarse = acc[v], .fine = fine[v]};
      if (vectors == 2) {
        products.coarse_residual = acc[rows + v];
        products.fine_residual = fine[rows + v];
      }
      screened.Bounds(*input, v, products, &b.lower[v], &b.upper[v]);
    }
  }
  return b;
}

// Checks lower <= exact <= upper on every row; returns the largest
// |exact - middle| / half-width, how much of the bound was used.
double CheckBounds(const ScreenedHead& screened, const Head& head, const std::vector<float>& h,
                   Codes codes, int vectors = ScreenedHead::kMaxVectorsPerInput) {
  const std::vector<float> exact = Exact(head, h);
  const Bounds b = Screen(screened, h, codes, vectors);
  double used = 0;
  for (int v = 0; v < head.rows; ++v) {
    INFO("row " << v << ": " << b.lower[v] << " <= " << exact[v] << " <= " << b.upper[v]);
    REQUIRE(b.lower[v] <= exact[v]);
    REQUIRE(exact[v] <= b.upper[v]);
    const double middle = (b.lower[v] + b.upper[v]) / 2;
    used = std::max(used, std::fabs(exact[v] - middle) / ((b.upper[v] - b.lower[v]) / 2));
  }
  return used;
}

kernels::ThreadPool& Pool() {
  static kernels::ThreadPool pool(2);
  return pool;
}

TEST_CASE("the exact logit lies within the bounds: random heads and inputs") {
  for (int cols : {2560, 256, 70}) {
    const Head head = RandomHead(500, cols, 0.03, cols);
    const ScreenedHead screened(head.e.data(), head.rows, head.cols, Active(), Pool());
    for (int trial = 0; trial < 20; ++trial) {
      const int vectors = 1 + trial / 10;  // q alone, then with the residual vector
      INFO("cols " << cols << ", trial " << trial << ", vectors " << vectors);
      const std::vector<float> h = RandomInput(cols, trial % 2 ? 1.0 : 30.0, 100 + trial);
      CheckBounds(screened, head, h, Codes::kCoarse, vectors);
      CheckBounds(screened, head, h, Codes::kFull, vectors);
    }
  }
}

TEST_CASE("the residual vector: h^ within the stated residual, ~127 times closer than q alone") {
  const int cols = 2560;
  const Head head = RandomHead(4, cols, 0.03, 5);
  const ScreenedHead screened(head.e.data(), head.rows, head.cols, Active(), Pool());
  const size_t stride = screened.code_stride();
  for (int trial = 0; trial < 10; ++trial) {
    const std::vector<float> h = RandomInput(cols, trial % 2 ? 1.0 : 30.0, 200 + trial);
    std::vector<int8_t> q(2 * stride);
    const std::optional<ScreenedHead::Input> input = screened.Quantize(h.data(), 2, q.data());
    REQUIRE(input);
    const int8_t* q_residual = q.data() + stride;
    long double first_sq = 0, residual_sq = 0;
    for (int i = 0; i < cols; ++i) {
      const long double first = h[i] - static_cast<long double>(input->step) * q[i];
      const long double residual = first - static_cast<long double>(input->residual_step) * q_residual[i];
      first_sq += first * first;
      residual_sq += residual * residual;
    }
    INFO("trial " << trial << ": ||h - step q|| " << std::sqrt(first_sq) << ", ||h - h^|| "
                  << std::sqrt(residual_sq) << ", stated " << input->residual);
    CHECK(std::sqrt(residual_sq) <= input->residual);
    CHECK(input->residual <= input->residual_step / 2 * std::sqrt(cols) * (1 + 1e-9));
    CHECK(input->residual * 64 < std::sqrt(first_sq));
  }
}

TEST_CASE("the bounds are nearly reached: input along a row's quantization error") {
  // h along the error e_v - c k_v (k the codes or the coarse codes): h . (e_v
  // - c k_v) ~ ||h|| ||e_v - c k_v||, Cauchy-Schwarz with equality up to h's
  // rounding. A bound 10% too small would put the exact logit outside it.
  const int cols = 2560;
  const Head head = RandomHead(64, cols, 0.03, 7);
  const ScreenedHead screened(head.e.data(), head.rows, head.cols, Active(), Pool());
  const size_t stride = screened.code_stride();
  for (const Codes codes : {Codes::kCoarse, Codes::kFull}) {
    for (int v = 0; v < 8; ++v) {
      float amax = 0;
      for (int i = 0; i < cols; ++i) {
        amax = std::max(amax, std::fabs(F16ToF32(head.e[v * cols + i])));
      }
      const float c = amax / 127.0f;
      // h = k / 128 with integers k in [-127, 127], one of them +-127: its
      // int8 copy is exact (step 1/128), so the bound's input-quantization
      // term is zero and the rest is the Cauchy-Schwarz term this h nearly
      // attains.
      std::vector<float> error(cols);
      float error_max = 0;
      for (int i = 0; i < cols; ++i) {
        const int coarse = kernels::HeadScreenCoarseCode(screened.coarse(), v, i, stride);
        const int fine = kernels::HeadScreenFineCode(screened.fine(), v, i, stride);
        const double m = codes == Codes::kCoarse ? 4 * coarse - 126.5 : 4 * coarse + fine - 128;
        error[i] = static_cast<float>(F16ToF32(head.e[v * cols + i]) - c * m);
        error_max = std::max(error_max, std::fabs(error[i]));
      }
      std::vector<float> h(cols);
      for (int i = 0; i < cols; ++i) h[i] = std::nearbyint(127 * error[i] / error_max) / 128;
      const double used = CheckBounds(screened, head, h, codes);
      INFO((codes == Codes::kCoarse ? "coarse" : "full") << " codes, row " << v
                                                         << ": the exact logit used " << used
                                                         << " of the bound");
      CHECK(used > 0.9);
    }
  }
}

TEST_CASE("the coarse bounds are about 4 times wider than the full codes' bounds") {
  const int cols = 2560;
  const Head head = RandomHead(200, cols, 0.03, 8);
  const ScreenedHead screened(head.e.data(), head.rows, head.cols, Active(), Pool());
  const std::vector<float> h = RandomInput(cols, 1.0, 9);
  const Bounds coarse = Screen(screened, h, Codes::kCoarse);
  const Bounds full = Screen(screened, h, Codes::kFull);
  for (int v = 0; v < head.rows; ++v) {
    const double ratio = (coarse.upper[v] - coarse.lower[v]) / (full.upper[v] - full.lower[v]);
    INFO("row " << v << ": coarse / full width " << ratio);
    // The coarse codes' error (+-1.5 steps, rms 1.12) against the rounding's
    // (rms 1 / sqrt(12) = 0.29): ~3.9 times.
    CHECK(ratio > 3);
    CHECK(ratio < 5);
  }
}

TEST_CASE("rows with Inf or NaN get unbounded intervals; bad inputs are refused") {
  Head head = RandomHead(4, 64, 0.03, 9);
  head.e[1 * 64 + 5] = 0x7C00;  // +Inf
  head.e[2 * 64 + 7] = 0x7E00;  // NaN
  const ScreenedHead screened(head.e.data(), head.rows, head.cols, Active(), Pool());
  for (const Codes codes : {Codes::kCoarse, Codes::kFull}) {
    const Bounds b = Screen(screened, RandomInput(64, 1.0, 3), codes);
    for (int v : {1, 2}) {
      CHECK(b.lower[v] == -INFINITY);
      CHECK(b.upper[v] == INFINITY);
    }
    CHECK(std::isfinite(b.lower[0]));
  }
  std::vector<int8_t> q(ScreenedHead::kMaxVectorsPerInput * screened.code_stride());
  std::vector<float> h(64, 0.0f);
  CHECK_FALSE(screened.Quantize(h.data(), 2, q.data()));  // all zero
  h[3] = NAN;
  CHECK_FALSE(screened.Quantize(h.data(), 2, q.data()));
}

bool IsForced(const CandidateQuery& query, int v) {
  return std::find(query.forced.begin(), query.forced.end(), v) != query.forced.end();
}

bool IsAllowed(const CandidateQuery& query, int v) {
  return query.allowed.empty() || query.allowed[v] != 0;
}

// The rows a query needs, from the exact logits (candidates.h).
std::vector<int32_t> Needed(const std::vector<float>& exact, const CandidateQuery& query) {
  std::vector<float> free;
  for (int v = 0; v < static_cast<int>(exact.size()); ++v) {
    if (IsAllowed(query, v) && !IsForced(query, v)) free.push_back(exact[v]);
  }
  std::sort(free.begin(), free.end(), std::greater<float>());
  const double threshold =
      free.size() >= static_cast<size_t>(query.k) ? free[query.k - 1] + query.log_ratio : -INFINITY;
  std::vector<int32_t> ids;
  for (int v = 0; v < static_cast<int>(exact.size()); ++v) {
    if (IsAllowed(query, v) && (IsForced(query, v) || exact[v] >= threshold)) ids.push_back(v);
  }
  return ids;
}

// No row the query's allowed set excludes.
void CheckAllowedOnly(const std::vector<int32_t>& ids, const CandidateQuery& query) {
  for (const int32_t id : ids) {
    INFO("row " << id << " is not allowed");
    REQUIRE(IsAllowed(query, id));
  }
}

void CheckSelection(const ScreenedHead& screened, const Head& head, const std::vector<float>& h,
                    const CandidateQuery& query) {
  const Bounds b = Screen(screened, h, Codes::kFull);
  const std::vector<int32_t> ids = ScreenedHead::Select(b.lower, b.upper, query);
  REQUIRE(std::is_sorted(ids.begin(), ids.end()));
  REQUIRE(std::adjacent_find(ids.begin(), ids.end()) == ids.end());
  for (const int32_t id : Needed(Exact(head, h), query)) {
    INFO("k " << query.k << ", log_ratio " << query.log_ratio << ": row " << id);
    REQUIRE(std::binary_search(ids.begin(), ids.end(), id));
  }
  CheckAllowedOnly(ids, query);
  CHECK(ids.size() < static_cast<size_t>(head.rows));  // screening did screen
}

TEST_CASE("selection holds every row greedy, top-k and min-p need, forced rows included") {
  const Head head = RandomHead(4000, 512, 0.03, 11);
  const ScreenedHead screened(head.e.data(), head.rows, head.cols, Active(), Pool());
  for (int trial = 0; trial < 10; ++trial) {
    const std::vector<float> h = RandomInput(512, 1.0, 200 + trial);
    CheckSelection(screened, head, h, {});
    CheckSelection(screened, head, h, {.k = 40});
    CheckSelection(screened, head, h, {.k = 1, .log_ratio = std::log(0.05)});
    // The best rows forced (as a penalty window would): the others compete.
    const std::vector<float> exact = Exact(head, h);
    const int32_t best = static_cast<int32_t>(std::max_element(exact.begin(), exact.end()) -
                                              exact.begin());
    CheckSelection(screened, head, h, {.k = 3, .forced = {best, 17, 17, 3999}});
    // A mask refusing the best row and every third row, one forced row too.
    std::vector<uint8_t> allowed(head.rows, 1);
    for (int v = 0; v < head.rows; v += 3) allowed[v] = 0;
    allowed[best] = 0;
    CheckSelection(screened, head, h, {.k = 1, .allowed = allowed});
    CheckSelection(screened, head, h, {.k = 40, .forced = {best, 3, 4}, .allowed = allowed});
  }
}

// Select's rule on the bounds themselves, by brute force: of the allowed
// rows (among `among`, or all), the forced ones and every other whose upper
// bound reaches the k-th best lower bound of the allowed rows not forced,
// plus log_ratio (-inf if there are fewer than k). Random bounds never fall
// within Select's 2^-40 margin of the threshold, so the two agree exactly.
std::vector<int32_t> SelectByBruteForce(const Bounds& b, const CandidateQuery& query,
                                        const std::vector<int32_t>* among = nullptr) {
  const auto considered = [&](int v) {
    return among == nullptr || std::binary_search(among->begin(), among->end(), v);
  };
  std::vector<double> free;
  for (int v = 0; v < static_cast<int>(b.lower.size()); ++v) {
    if (considered(v) && IsAllowed(query, v) && !IsForced(query, v)) free.push_back(b.lower[v]);
  }
  std::sort(free.begin(), free.end(), std::greater<double>());
  const double threshold =
      free.size() >= static_cast<size_t>(query.k) ? free[query.k - 1] + query.log_ratio : -INFINITY;
  std::vector<int32_t> ids;
  for (int v = 0; v < static_cast<int>(b.lower.size()); ++v) {
    if (considered(v) && IsAllowed(query, v) && (IsForced(query, v) || b.upper[v] >= threshold)) {
      ids.push_back(v);
    }
  }
  return ids;
}

TEST_CASE("selection with an allowed set: random bounds against brute force") {
  const int rows = 3000;
  std::mt19937_64 rng(21);
  std::normal_distribution<double> normal(0, 3);
  std::uniform_real_distribution<double> width(0, 0.5);
  for (int trial = 0; trial < 20; ++trial) {
    // Exact logits, and bounds around them.
    std::vector<float> exact(rows);
    Bounds b{std::vector<double>(rows), std::vector<double>(rows)};
    for (int v = 0; v < rows; ++v) {
      exact[v] = static_cast<float>(normal(rng));
      b.lower[v] = exact[v] - width(rng);
      b.upper[v] = exact[v] + width(rng);
    }
    std::vector<int32_t> by_lower(rows);
    for (int v = 0; v < rows; ++v) by_lower[v] = v;
    std::sort(by_lower.begin(), by_lower.end(),
              [&](int32_t a, int32_t c) { return b.lower[a] > b.lower[c]; });
    const int32_t top = by_lower[0];
    // Masks: none, a random half, the half without the 50 best rows, one row
    // (an average one; the best one) and no row.
    std::vector<std::vector<uint8_t>> masks(6, std::vector<uint8_t>(rows, 0));
    masks[0].clear();
    for (int v = 0; v < rows; ++v) masks[1][v] = (rng() & 1) != 0;
    masks[2] = masks[1];
    for (int i = 0; i < 50; ++i) masks[2][by_lower[i]] = 0;
    masks[3][by_lower[rows / 2]] = 1;
    masks[4][top] = 1;
    const std::vector<std::vector<int32_t>> forced_sets = {
        {}, {top, 17, 17}, {by_lower[rows / 2], by_lower[1], 2999}};
    for (size_t m = 0; m < masks.size(); ++m) {
      for (const std::vector<int32_t>& forced : forced_sets) {
        for (const int k : {1, 3, 40}) {
          for (const double log_ratio : {0.0, std::log(0.05)}) {
            const CandidateQuery query = {
                .k = k, .log_ratio = log_ratio, .forced = forced, .allowed = masks[m]};
            INFO("trial " << trial << ", mask " << m << ", " << forced.size() << " forced, k " << k
                          << ", log_ratio " << log_ratio);
            const std::vector<int32_t> ids = ScreenedHead::Select(b.lower, b.upper, query);
            REQUIRE(ids == SelectByBruteForce(b, query));
            CheckAllowedOnly(ids, query);
            const std::vector<int32_t> needed = Needed(exact, query);
            for (const int32_t id : needed) {
              INFO("row " << id << " is needed");
              REQUIRE(std::binary_search(ids.begin(), ids.end(), id));
            }
            // Among a subset holding every needed row: two thirds of the rows.
            std::vector<int32_t> among;
            for (int v = 0; v < rows; ++v) {
              if (v % 3 != 1 || std::binary_search(needed.begin(), needed.end(), v)) {
                among.push_back(v);
              }
            }
            const std::vector<int32_t> among_ids =
                ScreenedHead::Select(b.lower, b.upper, query, among);
            REQUIRE(among_ids == SelectByBruteForce(b, query, &among));
            for (const int32_t id : needed) {
              INFO("row " << id << " is needed");
              REQUIRE(std::binary_search(among_ids.begin(), among_ids.end(), id));
            }
          }
        }
      }
    }
    // Spot checks of the masks' meaning.
    const auto select = [&](int k, const std::vector<int32_t>& forced,
                            const std::vector<uint8_t>& allowed) {
      return ScreenedHead::Select(b.lower, b.upper, {.k = k, .forced = forced, .allowed = allowed});
    };
    CHECK(select(1, {}, masks[3]) == std::vector<int32_t>{by_lower[rows / 2]});
    CHECK(select(40, {top}, masks[4]) == std::vector<int32_t>{top});
    CHECK(select(1, {top}, masks[3]) == std::vector<int32_t>{by_lower[rows / 2]});
    CHECK(select(1, {top, 5}, masks[5]).empty());
    const std::vector<int32_t> without_top = select(1, {}, masks[2]);
    CHECK_FALSE(std::binary_search(without_top.begin(), without_top.end(), top));
    CHECK(!without_top.empty());
  }
}

TEST_CASE("one-ulp near-ties: both rows are candidates") {
  // Rows 1 and 2 equal row 0 (a row along h, the best) except for one value
  // each, chosen so that their exact logits are one f32 ulp above and below
  // row 0's.
  const int cols = 2560;
  Head head = RandomHead(300, cols, 0.03, 13);
  const std::vector<float> h = RandomInput(cols, 1.0, 14);
  for (int i = 0; i < cols; ++i) head.e[i] = F32ToF16(0.05f * h[i]);
  const auto row_logit = [&](int v) { return Exact(head, h)[v]; };
  std::copy(head.e.begin(), head.e.begin() + cols, head.e.begin() + cols);
  std::copy(head.e.begin(), head.e.begin() + cols, head.e.begin() + 2 * cols);
  const float x0 = row_logit(0);
  bool up = false, down = false;
  for (int i = 0; i < cols && !(up && down); ++i) {
    for (int step : {1, -1}) {
      Head trial = head;
      const int v = step > 0 ? 1 : 2;
      trial.e[v * cols + i] = static_cast<uint16_t>(head.e[i] + step);
      const float x = Exact(trial, h)[v];
      if (!up && x == std::nextafter(x0, INFINITY)) {
        head.e[v * cols + i] = trial.e[v * cols + i], up = true;
      } else if (!down && x == std::nextafter(x0, -INFINITY)) {
        head.e[v * cols + i] = trial.e[v * cols + i], down = true;
      }
    }
  }
  REQUIRE(up);
  REQUIRE(down);
  const std::vector<float> exact = Exact(head, h);
  REQUIRE(exact[1] == std::nextafter(exact[0], INFINITY));
  REQUIRE(exact[2] == std::nextafter(exact[0], -INFINITY));
  const ScreenedHead screened(head.e.data(), head.rows, head.cols, Active(), Pool());
  for (int k : {1, 2, 3}) {
    const Bounds b = Screen(screened, h, Codes::kFull);
    const std::vector<int32_t> ids = ScreenedHead::Select(b.lower, b.upper, {.k = k});
    for (int v : {0, 1, 2}) CHECK(std::binary_search(ids.begin(), ids.end(), v));
  }
}

}  // namespace
}  // namespace bitbrain::runtime
