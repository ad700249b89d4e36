#include "engine/generate/json_constraint.h"

#include <algorithm>
#include <deque>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include "engine/tokenizer/utf8.h"

namespace bitbrain::generate {
namespace {

// Whole UTF-8 characters, none of them '"', '\\' or a control character:
// what a JSON string holds as is.
bool IsStringText(std::string_view bytes) {
  return tokenizer::IsValidUtf8(bytes) && std::none_of(bytes.begin(), bytes.end(), [](char c) {
           const auto byte = static_cast<uint8_t>(c);
           return byte < 0x20 || byte == '"' || byte == '\\';
         });
}

}  // namespace

VocabularyTrie::VocabularyTrie(const tokenizer::Tokenizer& tokenizer)
    : tokenizer_(tokenizer),
      is_text_(tokenizer.vocab_size(), false),
      string_token_(tokenizer.vocab_size(), 0) {
  // Text tokens sorted by their bytes: the tokens below a prefix are then a
  // range, and within it the prefix itself (if a token) comes first.
  std::vector<int32_t> sorted;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    const tokenizer::TokenType type = tokenizer.token_type(id);
    const bool text = type == tokenizer::TokenType::kNormal || type == tokenizer::TokenType::kByte;
    if (!text || tokenizer.TokenBytes(id).empty()) continue;
    is_text_[id] = true;
    string_token_[id] = IsStringText(tokenizer.TokenBytes(id));
    sorted.push_back(id);
    longest_ = std::max(longest_, tokenizer.TokenBytes(id).size());
  }
  std::stable_sort(sorted.begin(), sorted.end(), [&](int32_t a, int32_t b) {
    return tokenizer.TokenBytes(a) < tokenizer.TokenBytes(b);
  });

  // Breadth first, so that each node's children are allocated together.
  struct Pending {
    uint32_t node;
    size_t begin, end;  // its tokens in `sorted`, all sharing its `depth` bytes
    size_t depth;
  };
  nodes_.emplace_back();
  std::deque<Pending> queue = {{0, 0, sorted.size(), 0}};
  while (!queue.empty()) {
    const Pending pending = queue.front();
    queue.pop_front();
    size_t i = pending.begin;
    nodes_[pending.node].first_token = static_cast<uint32_t>(tokens_.size());
    for (; i < pending.end && tokenizer.TokenBytes(sorted[i]).size() == pending.depth; ++i) {
      tokens_.push_back(sorted[i]);
    }
    nodes_[pending.node].tokens = static_cast<uint32_t>(tokens_.size()) -
                                  nodes_[pending.node].first_token;
    nodes_[pending.node].first_child = static_cast<uint32_t>(nodes_.size());
    while (i < pending.end) {
      const auto byte = static_cast<uint8_t>(tokenizer.TokenBytes(sorted[i])[pending.depth]);
      size_t end = i;
      while (end < pending.end &&
             static_cast<uint8_t>(tokenizer.TokenBytes(sorted[end])[pending.depth]) == byte) {
        ++end;
      }
      const auto child = static_cast<uint32_t>(nodes_.size());
      nodes_.push_back({.byte = byte});
      queue.push_back({child, i, end, pending.depth + 1});
      i = end;
    }
    nodes_[pending.node].children = static_cast<uint32_t>(nodes_.size()) -
                                    nodes_[pending.node].first_child;
  }
  // Children come after their parent: from the last node back, each node's
  // subtree is known before its parent's.
  for (size_t i = nodes_.size(); i-- > 0;) {
    Node& node = nodes_[i];
    node.string_only = true;
    for (uint32_t t = node.first_token; t < node.first_token + node.tokens; ++t) {
      node.string_only &= string_token_[tokens_[t]] != 0;
    }
    for (uint32_t child = node.first_child; child < node.first_child + node.children; ++child) {
      node.string_only &= nodes_[child].string_only;
    }
  }
}

void VocabularyTrie::Allow(const JsonRecognizer& recognizer, std::vector<JsonRecognizer>& scratch,
                           std::span<uint8_t> allowed) const {
  if (scratch.size() < longest_ + 1) scratch.resize(longest_ + 1, recognizer);
  scratch[0].CopyFrom(recognizer);
  const bool in_string = recognizer.InFreeString();
  if (in_string) {
    for (size_t id = 0; id < string_token_.size(); ++id) allowed[id] |= string_token_[id];
  }
  Walk(0, 0, in_string, scratch, allowed);
}

void VocabularyTrie::Walk(uint32_t node, size_t depth, bool skip_string_only,
                          std::vector<JsonRecognizer>& scratch, std::span<uint8_t> allowed) const {
  const Node& here = nodes_[node];
  for (uint32_t i = 0; i < here.tokens; ++i) allowed[tokens_[here.first_token + i]] = 1;
  for (uint32_t child = here.first_child; child < here.first_child + here.children; ++child) {
    if (skip_string_only && nodes_[child].string_only) continue;
    JsonRecognizer& next = scratch[depth + 1];
    next.CopyFrom(scratch[depth]);
    if (next.Advance(nodes_[child].byte)) Walk(child, depth + 1, skip_string_only, scratch, allowed);
  }
}

JsonConstraint::JsonConstraint(const JsonSchema& schema, const VocabularyTrie& trie,
                               std::vector<int32_t> end_tokens)
    : trie_(trie), end_tokens_(std::move(end_tokens)), recognizer_(schema) {}

std::span<const uint8_t> JsonConstraint::Allowed() {
  if (!allowed_current_) {
    allowed_.assign(trie_.tokenizer().vocab_size(), 0);
    trie_.Allow(recognizer_, scratch_, allowed_);
    if (recognizer_.Complete()) {
      for (const int32_t end : end_tokens_) allowed_[end] = 1;
    }
    allowed_current_ = true;
  }
  return allowed_;
}

int JsonConstraint::Mask(std::span<float> logits) {
  const std::span<const uint8_t> allowed = Allowed();
  if (logits.size() != allowed.size()) {
    throw std::invalid_argument("a row of " + std::to_string(logits.size()) +
                                " logits for a vocabulary of " + std::to_string(allowed.size()));
  }
  int count = 0;
  for (size_t id = 0; id < logits.size(); ++id) {
    if (allowed[id]) {
      ++count;
    } else {
      logits[id] = -std::numeric_limits<float>::infinity();
    }
  }
  return count;
}

void JsonConstraint::Accept(int32_t token) {
  allowed_current_ = false;  // the text moves on (or, refused, the request ends)
  const bool end = std::find(end_tokens_.begin(), end_tokens_.end(), token) != end_tokens_.end();
  if (end ? recognizer_.Complete()
          : token >= 0 && token < trie_.tokenizer().vocab_size() && trie_.IsText(token) &&
                recognizer_.Advance(trie_.tokenizer().TokenBytes(token))) {
    return;
  }
  throw std::invalid_argument("token " + std::to_string(token) +
                              " does not continue the JSON document");
}

}  // namespace bitbrain::generate
