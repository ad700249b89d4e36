#include "engine/runtime/engine.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>

#include "kernels/formats/f16.h"

namespace bitbrain::runtime {
namespace {

// LM head rows are split among the threads in multiples of this.
constexpr int kHeadRowTile = 64;
// Rows per task of the screened head's refinement (~40 KB of its fine plane).
constexpr int kRefineRowTile = 64;
// How many of an input's selected rows are refined first, at least: those with
// the best coarse upper bounds, 4k of them if more (k the query's), to hold
// the k best rows with room to spare; 256 rows' fine planes are 160 KB.
constexpr int kFirstRefinedRows = 256;
// Attention's softmax runs as a few tasks per thread, so that a delayed thread
// is made up for; each task has its own scratch for scores.
constexpr int kAttentionTasksPerThread = 4;
// The probabilities of a batch of rows wait in a buffer of at most this many
// floats (8 MB; one row's at least) until the weighted sums read them.
constexpr size_t kProbabilityFloats = size_t{2} << 20;
// A weighted-sum task: this many dimensions (one cache line of f16 values per
// position) of one row and KV head, for all the query heads that share it.
constexpr int kValueSliceDims = 32;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int CoresAvailable() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

EngineOptions Checked(EngineOptions options) {
  if (options.threads < 0) {
    throw std::invalid_argument("threads must be >= 0 (0: every core), got " +
                                std::to_string(options.threads));
  }
  if (options.context_length < 0) {
    throw std::invalid_argument("context length must be >= 0 (0: the model's), got " +
                                std::to_string(options.context_length));
  }
  if (options.prefill_chunk < 1) {
    throw std::invalid_argument("prefill chunk must be >= 1, got " +
                                std::to_string(options.prefill_chunk));
  }
  if (options.threads == 0) options.threads = CoresAvailable();
  if (!options.isa) options.isa = kernels::ActiveIsa();
  if (!kernels::CpuSupports(*options.isa)) {
    throw std::runtime_error(std::string("kernel variant ") + kernels::IsaName(*options.isa) +
                             " is not supported by this CPU");
  }
  return options;
}

template <typename T>
void Grow(std::vector<T>& buffer, size_t size) {
  if (buffer.size() < size) buffer.resize(size);
}

}  // namespace

EngineOptions WithTuning(EngineOptions options, const kernels::Tuning& tuning) {
  options.tuning = tuning;
  if (tuning.prefill_chunk > 0) options.prefill_chunk = tuning.prefill_chunk;
  const int threads = options.threads > 0 ? options.threads : CoresAvailable();
  if (const std::optional<kernels::TernaryLayout> layout = tuning.Layout(threads)) {
    options.compact_weights = *layout == kernels::TernaryLayout::kCompact;
  }
  return options;
}

void Engine::set_tuning(const kernels::Tuning& tuning) {
  // The weights' layout was fixed at construction; only the rest changes.
  const bool compact_weights = options_.compact_weights;
  options_ = WithTuning(options_, tuning);
  options_.compact_weights = compact_weights;
}

std::vector<kernels::SplitKey> ParallelSplits(const ModelConfig& c, int threads) {
  using kernels::SplitKind;
  const int hidden = c.embedding_length;
  const int ffn = c.feed_forward_length;
  const int kv_dim = c.head_dim * c.head_count_kv;
  // As Layer() groups its Multiply() calls and Head() splits the head.
  return {{SplitKind::kTernary, hidden + 2 * kv_dim, hidden, threads},
          {SplitKind::kTernary, hidden, hidden, threads},
          {SplitKind::kTernary, 2 * ffn, hidden, threads},
          {SplitKind::kTernary, hidden, ffn, threads},
          {SplitKind::kHead, c.vocab_size, hidden, threads}};
}

Engine::Engine(const std::string& model_path, const EngineOptions& options)
    : options_(Checked(options)),
      file_(gguf::File::Open(model_path)),
      model_(BitnetModel::FromFile(file_)),
      context_length_(options_.context_length > 0 ? options_.context_length
                                                  : model_.config.context_length),
      kernels_(kernels::KernelsFor(*options_.isa)),
      ternary_layout_(options_.compact_weights ? kernels::TernaryLayout::kCompact
                                               : kernels::TernaryLayout::kTwoBit),
      pool_(options_.threads) {
  load_stats_.map_seconds = SecondsSince(construction_start_);
  const auto repack_start = std::chrono::steady_clock::now();
  // What the cache files beside the model are checked against.
  std::optional<ModelIdentity> identity;
  if (options_.cache_repacked_weights) {
    identity = ModelIdentity::Of(file_.path(), file_.data_offset());
  }
  weights_ = ModelWeights::Load(file_, model_, kernels_.ternary(ternary_layout_), pool_,
                                identity ? &*identity : nullptr);
  load_stats_.repack_seconds = SecondsSince(repack_start);
  load_stats_.repacked_bytes = weights_.packed_bytes;
  load_stats_.from_cache = weights_.from_cache;
  if (options_.screened_head) {
    const auto screen_start = std::chrono::steady_clock::now();
    std::optional<RepackCache> cache;
    if (identity) cache.emplace(file_.path(), ScreenedHead::kCacheLayout, *identity);
    screened_ = ScreenedHead(weights_.output, model_.config.vocab_size,
                             model_.config.embedding_length, kernels_, pool_,
                             cache ? &*cache : nullptr);
    load_stats_.screen_from_cache = screened_.from_cache();
    load_stats_.screen_seconds = SecondsSince(screen_start);
    load_stats_.screen_bytes = screened_.bytes();
    // Building the copy read every row of the F16 head; from now on only the
    // candidate rows and the embeddings of the tokens fed are read, so the
    // rest need not stay resident (they are clean file pages: they come back
    // from the page cache when touched). After a cached start, a no-op.
    ReleaseFilePages(weights_.output, static_cast<size_t>(model_.config.vocab_size) *
                                          model_.config.embedding_length * sizeof(uint16_t));
  }
  rope_ = RopeTable(context_length_, model_.config.head_dim, model_.config.rope_freq_base);
  load_stats_.ready_seconds = SecondsSince(construction_start_);
}

CacheShape Engine::cache_shape() const {
  return {.layers = model_.config.block_count,
          .kv_heads = model_.config.head_count_kv,
          .head_dim = model_.config.head_dim,
          .capacity = context_length_};
}

// ---- Batches and steps --------------------------------------------------------

void Engine::CheckBatch(std::span<const SequenceBatch> batch) const {
  const int vocab = model_.config.vocab_size;
  std::unordered_set<const Sequence*> seen;
  for (size_t i = 0; i < batch.size(); ++i) {
    const SequenceBatch& entry = batch[i];
    const auto fail = [i](const std::string& what) {
      throw std::invalid_argument("Engine::Forward: batch entry " + std::to_string(i) + ": " +
                                  what);
    };
    if (entry.sequence == nullptr) fail("no sequence");
    if (!seen.insert(entry.sequence).second) fail("its sequence is already in the batch");
    if (entry.sequence->shape() != cache_shape())
      fail("its KV cache shape is not this engine's (a sequence of another model?)");
    const int room = entry.sequence->capacity() - entry.sequence->position();
    if (entry.tokens.size() > static_cast<size_t>(room)) {
      fail(std::to_string(entry.tokens.size()) + " tokens do not fit: the sequence holds " +
           std::to_string(entry.sequence->position()) + " of " +
           std::to_string(entry.sequence->capacity()) + " positions");
    }
    for (const int32_t token : entry.tokens) {
      if (token < 0 || token >= vocab) {
        fail("token " + std::to_string(token) + " is outside the vocabulary [0, " +
             std::to_string(vocab) + ")");
      }
    }
    if (entry.logits_count < 0 || static_cast<size_t>(entry.logits_count) > entry.tokens.size()) {
      fail("logits_count " + std::to_string(entry.logits_count) + " is outside [0, " +
           std::to_string(entry.tokens.size()) + "]");
    }
    const size_t floats = static_cast<size_t>(entry.logits_count) * vocab;
    if (entry.logits.size() != floats) {
      fail("the logits span holds " + std::to_string(entry.logits.size()) + " floats, not " +
           std::to_string(entry.logits_count) + " x " + std::to_string(vocab));
    }
    if ((entry.query == nullptr) != (entry.candidates == nullptr)) {
      fail("a candidate query needs both `query` and `candidates`");
    }
    if (entry.query != nullptr) {
      const CandidateQuery& query = *entry.query;
      if (entry.logits_count != 0) fail("asks for both logits and candidates");
      if (entry.tokens.empty()) fail("asks for candidates but has no tokens");
      if (query.k < 1) fail("candidate query k " + std::to_string(query.k) + " is below 1");
      if (!(query.log_ratio <= 0)) fail("candidate query log_ratio must be <= 0");
      for (const int32_t id : query.forced) {
        if (id < 0 || id >= vocab) {
          fail("forced candidate " + std::to_string(id) + " is outside the vocabulary [0, " +
               std::to_string(vocab) + ")");
        }
      }
      if (!query.allowed.empty() && query.allowed.size() != static_cast<size_t>(vocab)) {
        fail("the allowed set holds " + std::to_string(query.allowed.size()) + " rows, not " +
             std::to_string(vocab));
      }
    }
  }
}

void Engine::Forward(std::span<const SequenceBatch> batch) {
  CheckBatch(batch);
  const size_t vocab = static_cast<size_t>(model_.config.vocab_size);
  // Each step takes up to prefill_chunk tokens from every entry that has some left.
  std::vector<size_t> done(batch.size(), 0);
  std::vector<int> taken(batch.size(), 0);
  while (true) {
    rows_.clear();
    logits_rows_.clear();
    for (size_t i = 0; i < batch.size(); ++i) {
      const SequenceBatch& entry = batch[i];
      const size_t first_logits = entry.tokens.size() - entry.logits_count;
      const size_t end = std::min(entry.tokens.size(), done[i] + options_.prefill_chunk);
      taken[i] = static_cast<int>(end - done[i]);
      for (size_t j = done[i]; j < end; ++j) {
        const int position = entry.sequence->position() + static_cast<int>(j - done[i]);
        if (j >= first_logits) {
          logits_rows_.push_back({static_cast<int>(rows_.size()),
                                  entry.logits.data() + (j - first_logits) * vocab, nullptr,
                                  nullptr});
        }
        if (entry.query != nullptr && j + 1 == entry.tokens.size()) {
          logits_rows_.push_back(
              {static_cast<int>(rows_.size()), nullptr, entry.query, entry.candidates});
        }
        rows_.push_back({entry.tokens[j], entry.sequence, position});
      }
    }
    if (rows_.empty()) return;
    Step(rows_, logits_rows_);
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i].sequence->position_ += taken[i];
      done[i] += taken[i];
    }
  }
}

void Engine::Forward(Sequence& sequence, std::span<const int32_t> tokens, std::span<float> logits) {
  const SequenceBatch entry = {.sequence = &sequence,
                               .tokens = tokens,
                               .logits_count = logits.empty() ? 0 : 1,
                               .logits = logits};
  Forward(std::span<const SequenceBatch>(&entry, 1));
}

void Engine::Forward(Sequence& sequence, std::span<const int32_t> tokens,
                     const CandidateQuery& query, CandidateLogits& candidates) {
  const SequenceBatch entry = {
      .sequence = &sequence, .tokens = tokens, .query = &query, .candidates = &candidates};
  Forward(std::span<const SequenceBatch>(&entry, 1));
}

void Engine::Step(std::span<const Row> rows, std::span<const LogitsRow> logits_rows) {
  const ModelConfig& c = model_.config;
  const size_t n = rows.size();
  const size_t hidden = c.embedding_length;
  const size_t kv_dim = static_cast<size_t>(c.head_dim) * c.head_count_kv;
  const size_t widest = std::max(hidden, static_cast<size_t>(c.feed_forward_length));
  Grow(buffers_.x, n * hidden);
  Grow(buffers_.normed, n * widest);
  Grow(buffers_.quantized, n * widest);
  Grow(buffers_.scale, n);
  Grow(buffers_.q_sum, n);
  Grow(buffers_.q, n * hidden);
  Grow(buffers_.k, n * kv_dim);
  Grow(buffers_.v, n * kv_dim);
  Grow(buffers_.attention, n * hidden);
  Grow(buffers_.gate, n * c.feed_forward_length);
  Grow(buffers_.up, n * c.feed_forward_length);
  Grow(buffers_.projected, n * hidden);

  // Embeddings (section 2.1): exact f16 -> f32.
  for (size_t r = 0; r < n; ++r) {
    const uint16_t* embedding = weights_.token_embd + static_cast<size_t>(rows[r].token) * hidden;
    float* x = buffers_.x.data() + r * hidden;
    for (size_t i = 0; i < hidden; ++i) x[i] = F16ToF32(embedding[i]);
  }
  for (int layer = 0; layer < c.block_count; ++layer) Layer(layer, rows);
  if (!logits_rows.empty()) Head(logits_rows);
}

// ---- One layer ----------------------------------------------------------------

void Engine::Layer(int layer, std::span<const Row> rows) {
  const ModelConfig& c = model_.config;
  const LayerWeights& w = weights_.layers[layer];
  const int n = static_cast<int>(rows.size());
  const int hidden = c.embedding_length;
  const int ffn = c.feed_forward_length;
  const size_t stride = hidden;
  Buffers& b = buffers_;

  // Attention block: x += W_o subnorm(attention(rope(W_q h), rope(W_k h), W_v h)).
  pool_.ParallelFor(
      n, [&](int r) { NormalizeAndQuantize(b.x.data() + r * stride, w.attn_norm, hidden, r); });
  Multiply(n, hidden, {{&w.attn_q, b.q.data()}, {&w.attn_k, b.k.data()}, {&w.attn_v, b.v.data()}});
  pool_.ParallelFor(n, [&](int r) { RotateAndCache(layer, rows[r], r); });
  Attention(layer, rows);
  pool_.ParallelFor(n, [&](int r) {
    NormalizeAndQuantize(b.attention.data() + r * stride, w.attn_sub_norm, hidden, r);
  });
  Multiply(n, hidden, {{&w.attn_output, b.projected.data()}});

  // Feed-forward block: x += W_down subnorm(relu(W_gate h)^2 * W_up h).
  pool_.ParallelFor(n, [&](int r) {
    float* x = b.x.data() + r * stride;
    kernels_.add(x, b.projected.data() + r * stride, hidden);
    NormalizeAndQuantize(x, w.ffn_norm, hidden, r);
  });
  Multiply(n, hidden, {{&w.ffn_gate, b.gate.data()}, {&w.ffn_up, b.up.data()}});
  pool_.ParallelFor(n, [&](int r) {
    float* gate = b.gate.data() + static_cast<size_t>(r) * ffn;
    kernels_.squared_relu_mul(gate, b.up.data() + static_cast<size_t>(r) * ffn, ffn, gate);
    NormalizeAndQuantize(gate, w.ffn_sub_norm, ffn, r);
  });
  Multiply(n, ffn, {{&w.ffn_down, b.projected.data()}});
  pool_.ParallelFor(n, [&](int r) {
    kernels_.add(b.x.data() + r * stride, b.projected.data() + r * stride, hidden);
  });
}

void Engine::NormalizeAndQuantize(const float* in, const float* weight, int n, int r) {
  float* normed = buffers_.normed.data() + static_cast<size_t>(r) * n;
  kernels_.rmsnorm(in, weight, n, model_.config.rms_epsilon, normed);
  kernels_.quantize_activations(normed, n, buffers_.quantized.data() + static_cast<size_t>(r) * n,
                                &buffers_.scale[r], &buffers_.q_sum[r]);
}

void Engine::Multiply(int rows, int cols, std::initializer_list<Product> products) {
  const kernels::TernaryMatmul& matmul = kernels_.ternary(ternary_layout_);
  const kernels::QuantizedActivations x = {.q = buffers_.quantized.data(),
                                           .q_stride = static_cast<size_t>(cols),
                                           .scale = buffers_.scale.data(),
                                           .q_sum = buffers_.q_sum.data(),
                                           .tokens = rows};
  // The products' row tiles, numbered one matrix after the other.
  const auto tiles_of = [&](const Product& p) {
    return (p.weights->rows + matmul.row_tile - 1) / matmul.row_tile;
  };
  int total_tiles = 0;
  int total_rows = 0;
  for (const Product& p : products) {
    total_tiles += tiles_of(p);
    total_rows += p.weights->rows;
  }
  const int tasks_per_thread = options_.tuning.TasksPerThread(
      {kernels::SplitKind::kTernary, total_rows, cols, threads()});
  pool_.ParallelRows(total_tiles, 1, [&](int tile_begin, int tile_end) {
    int first_tile = 0;  // of the current product
    for (const Product& p : products) {
      const int tiles = tiles_of(p);
      const int begin = std::max(tile_begin, first_tile) - first_tile;
      const int end = std::min(tile_end, first_tile + tiles) - first_tile;
      if (begin < end) {
        const TernaryWeights& w = *p.weights;
        matmul.matmul(w.packed, w.rows, w.cols, w.scale, x, begin * matmul.row_tile,
                      std::min(end * matmul.row_tile, w.rows), p.out, static_cast<size_t>(w.rows));
      }
      first_tile += tiles;
    }
  }, tasks_per_thread);
}

void Engine::RotateAndCache(int layer, const Row& row, int r) {
  const ModelConfig& c = model_.config;
  const int head_dim = c.head_dim;
  const float* cos = rope_.cos(row.position);
  const float* sin = rope_.sin(row.position);
  float* q = buffers_.q.data() + static_cast<size_t>(r) * c.embedding_length;
  for (int h = 0; h < c.head_count; ++h) kernels_.rope(q + h * head_dim, cos, sin, head_dim);
  kernels_.round_f16(q, c.embedding_length, q);

  const size_t kv_dim = static_cast<size_t>(head_dim) * c.head_count_kv;
  float* k = buffers_.k.data() + r * kv_dim;
  const float* v = buffers_.v.data() + r * kv_dim;
  const size_t offset = static_cast<size_t>(row.position) * head_dim;
  for (int h = 0; h < c.head_count_kv; ++h) {
    kernels_.rope(k + h * head_dim, cos, sin, head_dim);
    kernels_.to_f16(k + h * head_dim, head_dim, row.sequence->keys(layer, h) + offset);
    kernels_.to_f16(v + h * head_dim, head_dim, row.sequence->values(layer, h) + offset);
  }
}

void Engine::Attention(int layer, std::span<const Row> rows) {
  const size_t row_floats = static_cast<size_t>(model_.config.head_count) * context_length_;
  const size_t batch = std::max<size_t>(1, kProbabilityFloats / row_floats);
  Grow(buffers_.probabilities, std::min(rows.size(), batch) * row_floats);
  for (size_t first = 0; first < rows.size(); first += batch) {
    const size_t count = std::min(batch, rows.size() - first);
    AttentionProbabilities(layer, rows.subspan(first, count), static_cast<int>(first));
    AttentionValues(layer, rows.subspan(first, count), static_cast<int>(first));
  }
}

void Engine::AttentionProbabilities(int layer, std::span<const Row> rows, int first) {
  const ModelConfig& c = model_.config;
  const int head_dim = c.head_dim;
  const int group = c.head_count / c.head_count_kv;  // query heads per KV head
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const int pairs = static_cast<int>(rows.size()) * c.head_count;  // (row, head)
  const int tasks = std::min(pairs, threads() * kAttentionTasksPerThread);
  Grow(buffers_.scores, static_cast<size_t>(tasks) * context_length_);

  pool_.ParallelFor(tasks, [&](int task) {
    float* score = buffers_.scores.data() + static_cast<size_t>(task) * context_length_;
    for (int pair = pairs * int64_t{task} / tasks; pair < pairs * int64_t{task + 1} / tasks;
         ++pair) {
      const int r = pair / c.head_count;
      const int h = pair % c.head_count;
      const Row& row = rows[r];
      const int positions = row.position + 1;  // causal: 0 .. position
      const size_t at = static_cast<size_t>(first + r) * c.embedding_length + h * head_dim;
      float* p = buffers_.probabilities.data() + static_cast<size_t>(pair) * context_length_;
      kernels_.attention_scores(buffers_.q.data() + at, row.sequence->keys(layer, h / group),
                                head_dim, positions, head_dim, scale, score);
      const float max = kernels_.max(score, positions);
      const float sum = kernels_.exp_sum(score, positions, max, p);
      kernels_.scale_round_f16(p, positions, 1.0f / sum, p);
    }
  });
}

void Engine::AttentionValues(int layer, std::span<const Row> rows, int first) {
  const ModelConfig& c = model_.config;
  const int head_dim = c.head_dim;
  const int group = c.head_count / c.head_count_kv;
  const int slices = (head_dim + kValueSliceDims - 1) / kValueSliceDims;
  const int tasks = static_cast<int>(rows.size()) * c.head_count_kv * slices;

  pool_.ParallelFor(tasks, [&](int task) {
    const int r = task / (c.head_count_kv * slices);
    const int kv_head = task / slices % c.head_count_kv;
    const int d = task % slices * kValueSliceDims;
    const int first_head = kv_head * group;
    const Row& row = rows[r];
    kernels_.weighted_values(
        buffers_.probabilities.data() +
            (static_cast<size_t>(r) * c.head_count + first_head) * context_length_,
        context_length_, group, row.sequence->values(layer, kv_head) + d, head_dim,
        row.position + 1, std::min(kValueSliceDims, head_dim - d),
        buffers_.attention.data() + static_cast<size_t>(first + r) * c.embedding_length +
            first_head * head_dim + d,
        head_dim);
  });
}

// ---- LM head ------------------------------------------------------------------

void Engine::Head(std::span<const LogitsRow> logits_rows) {
  const ModelConfig& c = model_.config;
  const size_t hidden = c.embedding_length;
  const size_t stride = screened_.code_stride();
  const int n = static_cast<int>(logits_rows.size());
  Grow(buffers_.head_input, n * hidden);
  // A single input screens with the residual vector too (screened_head.h).
  const int queries = static_cast<int>(std::count_if(
      logits_rows.begin(), logits_rows.end(), [](const LogitsRow& r) { return r.query != nullptr; }));
  const int vectors = queries == 1 ? ScreenedHead::kMaxVectorsPerInput : 1;
  const size_t input_bytes = vectors * stride;
  Grow(buffers_.screen_q, n * input_bytes);
  screen_inputs_.assign(n, std::nullopt);
  pool_.ParallelFor(n, [&](int i) {
    float* hn = buffers_.head_input.data() + i * hidden;
    kernels_.rmsnorm(buffers_.x.data() + logits_rows[i].row * hidden, weights_.output_norm,
                     c.embedding_length, c.rms_epsilon, hn);
    kernels_.round_f16(hn, c.embedding_length, hn);
    if (logits_rows[i].query != nullptr && screened_.rows() > 0) {
      screen_inputs_[i] =
          screened_.Quantize(hn, vectors, buffers_.screen_q.data() + i * input_bytes);
    }
  });
  // Candidate rows whose input cannot be screened (or with screening off)
  // are computed in full.
  full_rows_.clear();
  screened_rows_.clear();
  for (int i = 0; i < n; ++i) (screen_inputs_[i] ? screened_rows_ : full_rows_).push_back(i);
  head_stats_.full_rows += static_cast<int64_t>(full_rows_.size());
  head_stats_.screened_rows += static_cast<int64_t>(screened_rows_.size());
  if (!full_rows_.empty()) FullHead(logits_rows, full_rows_);
  if (!screened_rows_.empty()) ScreenedHeadRows(logits_rows, screened_rows_);
}

void Engine::FullHead(std::span<const LogitsRow> logits_rows, std::span<const int> which) {
  const ModelConfig& c = model_.config;
  const size_t hidden = c.embedding_length;
  const size_t vocab = c.vocab_size;
  const int n = static_cast<int>(which.size());
  Grow(buffers_.full_input, n * hidden);
  Grow(buffers_.logits, n * vocab);
  for (int i = 0; i < n; ++i) {
    std::memcpy(buffers_.full_input.data() + i * hidden,
                buffers_.head_input.data() + which[i] * hidden, hidden * sizeof(float));
  }
  pool_.ParallelRows(c.vocab_size, kHeadRowTile, [&](int begin, int end) {
    kernels_.head_matmul(weights_.output, c.embedding_length, buffers_.full_input.data(), hidden,
                         n, begin, end, buffers_.logits.data(), vocab);
  }, options_.tuning.TasksPerThread(
         {kernels::SplitKind::kHead, c.vocab_size, c.embedding_length, threads()}));
  for (int i = 0; i < n; ++i) {
    const LogitsRow& row = logits_rows[which[i]];
    const float* logits = buffers_.logits.data() + i * vocab;
    if (row.out != nullptr) {
      std::memcpy(row.out, logits, vocab * sizeof(float));
    } else {  // a candidate query answered with every row it allows
      CandidateLogits& answer = *row.candidates;
      answer.vocab_size = c.vocab_size;
      answer.ids.clear();
      answer.logits.clear();
      for (int32_t v = 0; v < c.vocab_size; ++v) {
        if (!Allows(row.query->allowed, v)) continue;
        answer.ids.push_back(v);
        answer.logits.push_back(logits[v]);
      }
    }
  }
}

void Engine::ScreenedHeadRows(std::span<const LogitsRow> logits_rows, std::span<const int> which) {
  const ModelConfig& c = model_.config;
  const size_t hidden = c.embedding_length;
  const size_t vocab = c.vocab_size;
  const size_t stride = screened_.code_stride();
  const int n = static_cast<int>(which.size());
  // Each input's int8 vectors (Head: the same count for all), side by side.
  const int vectors = screen_inputs_[which[0]]->vectors;
  const size_t input_bytes = vectors * stride;
  Grow(buffers_.screen_batch, n * input_bytes);
  Grow(buffers_.screen_acc, n * vectors * vocab);
  Grow(buffers_.lower, n * vocab);
  Grow(buffers_.upper, n * vocab);
  for (int i = 0; i < n; ++i) {
    std::memcpy(buffers_.screen_batch.data() + i * input_bytes,
                buffers_.screen_q.data() + which[i] * input_bytes, input_bytes);
  }
  // One pass over the coarse plane for all rows, each chunk's bounds computed
  // while its products are in cache.
  pool_.ParallelRows(c.vocab_size, kHeadRowTile, [&](int begin, int end) {
    int32_t* acc = buffers_.screen_acc.data();
    kernels_.head_screen.screen(screened_.coarse(), stride, buffers_.screen_batch.data(),
                                n * vectors, begin, end, acc, vocab);
    for (int i = 0; i < n; ++i) {
      const int32_t* input_acc = acc + i * vectors * vocab;
      const int32_t* residual_acc = vectors == 2 ? input_acc + vocab : nullptr;
      screened_.CoarseBounds(*screen_inputs_[which[i]], input_acc, residual_acc, begin, end,
                             buffers_.lower.data() + i * vocab, buffers_.upper.data() + i * vocab);
    }
  });
  // Per input, the rows its query needs, narrowed down from the coarse bounds.
  // Every selection is ScreenedHead::Select on valid bounds among rows that
  // hold every row the query needs, so each result does too (NUMERICS.md
  // 2.8). The coarse bounds leave ~15% of the rows for a greedy query on the
  // 2B4T-shaped model, too many to refine cheaply (their fine planes are
  // scattered reads). So the selected rows with the best coarse upper bounds,
  // which hold the best rows, are refined first: their narrower lower bounds
  // raise the threshold, and only the rows still above it are refined after.
  narrowing_.resize(n);
  const auto bounds_of = [&](int i) {
    return std::pair{std::span<const double>(buffers_.lower.data() + i * vocab, vocab),
                     std::span<const double>(buffers_.upper.data() + i * vocab, vocab)};
  };
  pool_.ParallelFor(n, [&](int i) {
    const auto [lower, upper] = bounds_of(i);
    const CandidateQuery& query = *logits_rows[which[i]].query;
    Narrowing& s = narrowing_[i];
    s.selected = ScreenedHead::Select(lower, upper, query);
    s.refine = s.selected;
    const size_t first =
        std::min(s.refine.size(), static_cast<size_t>(std::max(kFirstRefinedRows, 4 * query.k)));
    std::nth_element(s.refine.begin(), s.refine.begin() + first, s.refine.end(),
                     [&](int32_t a, int32_t b) { return upper[a] > upper[b]; });
    s.refine.resize(first);
    std::sort(s.refine.begin(), s.refine.end());
  });
  Refine(which);
  pool_.ParallelFor(n, [&](int i) {
    const auto [lower, upper] = bounds_of(i);
    Narrowing& s = narrowing_[i];
    std::vector<int32_t> selected =
        ScreenedHead::Select(lower, upper, *logits_rows[which[i]].query, s.selected);
    s.selected.swap(selected);
    std::vector<int32_t> rest;  // those not refined yet
    std::set_difference(s.selected.begin(), s.selected.end(), s.refine.begin(), s.refine.end(),
                        std::back_inserter(rest));
    s.refine.swap(rest);
  });
  Refine(which);
  pool_.ParallelFor(n, [&](int i) {
    const auto [lower, upper] = bounds_of(i);
    const LogitsRow& row = logits_rows[which[i]];
    row.candidates->vocab_size = c.vocab_size;
    row.candidates->ids = ScreenedHead::Select(lower, upper, *row.query, narrowing_[i].selected);
    row.candidates->logits.resize(row.candidates->ids.size());
  });
  // The candidates' exact logits: the head kernel on one row each, which
  // gives the full head's bits (any row range does, section 3).
  exact_logits_.clear();
  for (int i = 0; i < n; ++i) {
    const LogitsRow& row = logits_rows[which[i]];
    const float* hn = buffers_.head_input.data() + which[i] * hidden;
    for (size_t j = 0; j < row.candidates->ids.size(); ++j) {
      exact_logits_.push_back({hn, row.candidates->ids[j], &row.candidates->logits[j]});
    }
  }
  head_stats_.exact_rows += static_cast<int64_t>(exact_logits_.size());
  if (exact_logits_.empty()) return;
  pool_.ParallelRows(static_cast<int>(exact_logits_.size()), 1, [&](int begin, int end) {
    for (int j = begin; j < end; ++j) {
      const ExactLogit& e = exact_logits_[j];
      kernels_.head_matmul(weights_.output + static_cast<size_t>(e.id) * hidden,
                           c.embedding_length, e.hn, hidden, 1, 0, 1, e.out, 1);
    }
  });
}

// The fine products of each input's narrowing_[i].refine rows, all inputs'
// rows split among the threads together, and their bounds from the full codes.
void Engine::Refine(std::span<const int> which) {
  const size_t vocab = model_.config.vocab_size;
  const size_t stride = screened_.code_stride();
  const int n = static_cast<int>(which.size());
  const int vectors = screen_inputs_[which[0]]->vectors;
  std::vector<int> first(n + 1, 0);  // input i's rows: [first[i], first[i + 1])
  for (int i = 0; i < n; ++i) {
    first[i + 1] = first[i] + static_cast<int>(narrowing_[i].refine.size());
  }
  const int total = first[n];
  if (total == 0) return;
  head_stats_.refined_rows += total;
  Grow(buffers_.fine_acc, vectors * total);
  pool_.ParallelRows(total, kRefineRowTile, [&](int begin, int end) {
    for (int i = 0; i < n; ++i) {
      const int j0 = std::max(begin, first[i]) - first[i];
      const int j1 = std::min(end, first[i + 1]) - first[i];
      if (j0 >= j1) continue;
      const std::vector<int32_t>& rows = narrowing_[i].refine;
      const int count = static_cast<int>(rows.size());
      int32_t* fine_acc = buffers_.fine_acc.data() + vectors * first[i];
      kernels_.head_screen.refine(screened_.fine(), stride,
                                  buffers_.screen_batch.data() + i * vectors * stride, vectors,
                                  rows.data() + j0, j1 - j0, fine_acc + j0, count);
      const int32_t* acc = buffers_.screen_acc.data() + i * vectors * vocab;
      for (int j = j0; j < j1; ++j) {
        const int32_t v = rows[j];
        ScreenedHead::Products products{.coarse = acc[v], .fine = fine_acc[j]};
        if (vectors == 2) {
          products.coarse_residual = acc[vocab + v];
          products.fine_residual = fine_acc[count + j];
        }
        screened_.Bounds(*screen_inputs_[which[i]], v, products, &buffers_.lower[i * vocab + v],
                         &buffers_.upper[i * vocab + v]);
      }
    }
  });
}

}  // namespace bitbrain::runtime
