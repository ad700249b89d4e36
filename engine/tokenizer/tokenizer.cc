#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/utf8.h"

namespace bitbrain::tokenizer {
namespace {

std::string Quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

Tokenizer::Tokenizer(const std::vector<std::string_view>& tokens,
                     const std::vector<std::string_view>& merges,
                     const std::vector<TokenType>& types, SpecialTokens special)
    : types_(types), special_(special) {
  if (tokens.empty()) throw TokenizerError("the vocabulary is empty");
  if (tokens.size() > static_cast<size_t>(INT32_MAX)) {
    throw TokenizerError("the vocabulary has more tokens than 32-bit ids can number");
  }
  if (types.size() != tokens.size()) {
    throw TokenizerError("token types: " + std::to_string(types.size()) + " for " +
                         std::to_string(tokens.size()) + " tokens");
  }

  StoreTokenBytes(tokens);
  IndexNormalTokens();
  AddMerges(merges);
  for (const int32_t id : {special_.bos, special_.eos}) CheckId(id);
  if (special_.eot) CheckId(*special_.eot);
}

void Tokenizer::StoreTokenBytes(const std::vector<std::string_view>& tokens) {
  token_offsets_.reserve(tokens.size() + 1);
  token_offsets_.push_back(0);
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (types_[id] != TokenType::kNormal) {
      token_bytes_.append(tokens[id]);
    } else {
      std::optional<std::string> bytes = ByteLevelDecode(tokens[id]);
      if (!bytes || bytes->empty()) {
        throw TokenizerError("token " + std::to_string(id) + " " + Quoted(tokens[id]) +
                             " is not byte-level text");
      }
      token_bytes_.append(*bytes);
    }
    if (token_bytes_.size() > UINT32_MAX) {
      throw TokenizerError("the vocabulary's text is too long");
    }
    token_offsets_.push_back(static_cast<uint32_t>(token_bytes_.size()));
  }
}

void Tokenizer::IndexNormalTokens() {
  normal_tokens_ = TokenIndex(types_.size());
  for (size_t id = 0; id < types_.size(); ++id) {
    // Of two tokens with the same text the later wins, as in llama.cpp.
    if (types_[id] == TokenType::kNormal) {
      normal_tokens_.Insert(BytesOf(static_cast<int32_t>(id)), static_cast<int32_t>(id),
                            [this](int32_t other) { return BytesOf(other); });
    }
  }
  for (int byte = 0; byte < 256; ++byte) {
    const char c = static_cast<char>(byte);
    token_of_byte_[byte] = FindNormalToken(std::string_view(&c, 1));
    if (token_of_byte_[byte] < 0) {
      throw TokenizerError("no token for byte " + std::to_string(byte) +
                           ": not a byte-level BPE vocabulary");
    }
  }
}

void Tokenizer::AddMerges(const std::vector<std::string_view>& merges) {
  merges_ = MergeTable(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string_view merge = merges[rank];
    const auto bad_merge = [&](const std::string& why) {
      return TokenizerError("merge " + std::to_string(rank) + " " + Quoted(merge) + ": " + why);
    };
    const size_t space = merge.find(' ', 1);
    if (space == std::string_view::npos) throw bad_merge("not two tokens separated by a space");
    const std::optional<std::string> left = ByteLevelDecode(merge.substr(0, space));
    const std::optional<std::string> right = ByteLevelDecode(merge.substr(space + 1));
    if (!left || !right) throw bad_merge("not byte-level text");
    const int32_t left_token = FindNormalToken(*left);
    const int32_t right_token = FindNormalToken(*right);
    if (left_token < 0 || right_token < 0) throw bad_merge("a part is not a token");
    joined.assign(*left).append(*right);
    const int32_t result = FindNormalToken(joined);
    if (result < 0) throw bad_merge("the merged text is not a token");
    merges_.Insert(left_token, right_token, {static_cast<int32_t>(rank), result});
  }
}

void Tokenizer::CheckId(int32_t id) const {
  if (id < 0 || id >= vocab_size()) {
    throw TokenizerError("token id " + std::to_string(id) + " is out of range (vocabulary of " +
                         std::to_string(vocab_size()) + ")");
  }
}

int32_t Tokenizer::FindNormalToken(std::string_view bytes) const {
  return normal_tokens_.Find(bytes, [this](int32_t id) { return BytesOf(id); });
}

std::string_view Tokenizer::TokenBytes(int32_t id) const {
  CheckId(id);
  return BytesOf(id);
}

TokenType Tokenizer::token_type(int32_t id) const {
  CheckId(id);
  return types_[id];
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text) const {
  std::string sanitized;
  if (!IsValidUtf8(text)) {
    sanitized = SanitizeUtf8(text);
    text = sanitized;
  }
  std::vector<std::string_view> pieces;
  pre_tokenizer_.Split(text, pieces);

  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  // Pre-tokens already split by BPE in this call: where their ids are in `ids`.
  std::unordered_map<std::string_view, std::pair<size_t, size_t>> done;
  for (const std::string_view piece : pieces) {
    if (const int32_t token = FindNormalToken(piece); token >= 0) {
      ids.push_back(token);
      continue;
    }
    if (const auto earlier = done.find(piece); earlier != done.end()) {
      const auto [begin, count] = earlier->second;
      ids.insert(ids.end(), ids.begin() + begin, ids.begin() + begin + count);
      continue;
    }
    const size_t begin = ids.size();
    EncodePiece(piece, ids);
    done.emplace(piece, std::pair(begin, ids.size() - begin));
  }
  return ids;
}

void Tokenizer::EncodePiece(std::string_view piece, std::vector<int32_t>& ids) const {
  // The piece's symbols, as a linked list over its byte positions: a symbol
  // lives at the position of its first byte; merging absorbs the right one.
  struct Symbol {
    int32_t token;  // -1 once absorbed
    int32_t prev;   // -1: none
    int32_t next;   // -1: none
  };
  // A possible merge of two neighbours, valid while both still hold the
  // tokens it was found for.
  struct Candidate {
    int32_t rank;
    int32_t left;
    int32_t right;
    int32_t left_token;
    int32_t right_token;
    int32_t result;
    // Heap order: the lowest rank, then the leftmost, on top.
    bool operator<(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : left > other.left;
    }
  };

  const int32_t n = static_cast<int32_t>(piece.size());
  std::vector<Symbol> symbols(n);
  for (int32_t i = 0; i < n; ++i) {
    symbols[i] = {token_of_byte_[static_cast<uint8_t>(piece[i])], i - 1, i + 1 < n ? i + 1 : -1};
  }
  std::vector<Candidate> heap;
  const auto consider = [&](int32_t left, int32_t right) {
    const int32_t left_token = symbols[left].token;
    const int32_t right_token = symbols[right].token;
    const MergeTable::Merge* merge = merges_.Find(left_token, right_token);
    if (merge == nullptr) return;
    heap.push_back({merge->rank, left, right, left_token, right_token, merge->result});
    std::push_heap(heap.begin(), heap.end());
  };
  for (int32_t i = 0; i + 1 < n; ++i) consider(i, i + 1);

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    const Candidate c = heap.back();
    heap.pop_back();
    Symbol& left = symbols[c.left];
    Symbol& right = symbols[c.right];
    if (left.next != c.right || left.token != c.left_token || right.token != c.right_token) {
      continue;  // a neighbour changed since this candidate was found
    }
    left.token = c.result;
    left.next = right.next;
    if (right.next != -1) symbols[right.next].prev = c.left;
    right.token = -1;
    if (left.prev != -1) consider(left.prev, c.left);
    if (left.next != -1) consider(c.left, left.next);
  }
  for (int32_t i = 0; i != -1; i = symbols[i].next) ids.push_back(symbols[i].token);
}

std::string Tokenizer::Decode(std::span<const int32_t> ids) const {
  std::string bytes;
  for (const int32_t id : ids) bytes.append(TokenBytes(id));
  return SanitizeUtf8(bytes);
}

}  // namespace bitbrain::tokenizer
