// JSON-constrained decoding at the token level, as llama.cpp's grammar
// sampling does it: before the sampling chain, every token whose bytes would
// break the JSON document gets a logit of -inf, so bias, penalties, top-k and
// the rest act on the allowed tokens only.
//
// The vocabulary's byte strings form a trie, built once per tokenizer and
// shared by every request. Masking walks it depth-first with a copy of the
// recognizer per node, and prunes a subtree as soon as its prefix is refused:
// the tokens reached are exactly those whose bytes the recognizer accepts.
// Inside a string, where most of the vocabulary is allowed, the tokens made
// of whole string characters are known in advance to be, and the walk only
// visits the subtrees that hold other tokens.
// Special tokens are never allowed, except the end tokens (end of text, end
// of turn), which are allowed exactly when the document is complete.
#ifndef BITBRAIN_ENGINE_GENERATE_JSON_CONSTRAINT_H_
#define BITBRAIN_ENGINE_GENERATE_JSON_CONSTRAINT_H_

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/generate/json_recognizer.h"
#include "engine/generate/json_schema.h"
#include "engine/tokenizer/tokenizer.h"

namespace bitbrain::generate {

// The byte strings of a vocabulary's text tokens (normal and byte tokens).
// Immutable once built; safe to share between threads.
class VocabularyTrie {
 public:
  // The tokenizer must outlive the trie.
  explicit VocabularyTrie(const tokenizer::Tokenizer& tokenizer);

  const tokenizer::Tokenizer& tokenizer() const { return tokenizer_; }
  // A token of text (in the trie), not a special one.
  bool IsText(int32_t token) const { return is_text_[token]; }

  // Sets allowed[token] = 1 for every text token whose bytes `recognizer`
  // accepts; `scratch` is reused between calls.
  void Allow(const JsonRecognizer& recognizer, std::vector<JsonRecognizer>& scratch,
             std::span<uint8_t> allowed) const;

 private:
  // A node's children are the nodes [first_child, first_child + children),
  // the tokens spelled by its bytes tokens_[first_token, ... + tokens).
  struct Node {
    uint32_t first_child = 0;
    uint32_t children = 0;
    uint32_t first_token = 0;
    uint32_t tokens = 0;
    uint8_t byte = 0;  // the edge from the parent
    bool string_only = false;  // every token below is a string_token_
  };

  // With `skip_string_only`, skips the subtrees that hold string tokens only.
  void Walk(uint32_t node, size_t depth, bool skip_string_only,
            std::vector<JsonRecognizer>& scratch, std::span<uint8_t> allowed) const;

  const tokenizer::Tokenizer& tokenizer_;
  std::vector<Node> nodes_;  // nodes_[0]: the root, the empty string
  std::vector<int32_t> tokens_;
  std::vector<bool> is_text_;
  // 1 for the tokens made of whole characters that a JSON string may hold
  // unescaped: any free string accepts them.
  std::vector<uint8_t> string_token_;
  size_t longest_ = 0;  // bytes of the longest token
};

// One request's constraint: its recognizer over the text generated so far.
class JsonConstraint {
 public:
  // `schema` and `trie` must outlive the constraint. `end_tokens` end a
  // reply (chat::StopTokens).
  JsonConstraint(const JsonSchema& schema, const VocabularyTrie& trie,
                 std::vector<int32_t> end_tokens);

  // The tokens that can come next: one byte per token of the vocabulary,
  // 1 if it can. Depends only on the text so far, so it is known before the
  // step's logits (a candidate query's allowed set, candidates.h); computed
  // once per position, valid until Accept().
  std::span<const uint8_t> Allowed();

  // Sets the logit of every token that cannot come next to -inf (a row of
  // the whole vocabulary); returns how many tokens can.
  int Mask(std::span<float> logits);

  // Takes the chosen token's bytes. Throws std::invalid_argument for a token
  // Mask() would have refused.
  void Accept(int32_t token);

  // The text so far is a whole document.
  bool complete() const { return recognizer_.Complete(); }

 private:
  const VocabularyTrie& trie_;
  const std::vector<int32_t> end_tokens_;
  JsonRecognizer recognizer_;
  std::vector<JsonRecognizer> scratch_;
  std::vector<uint8_t> allowed_;
  bool allowed_current_ = false;  // allowed_ is Allowed() for the text so far
};

}  // namespace bitbrain::generate

#endif  // BITBRAIN_ENGINE_GENERATE_JSON_CONSTRAINT_H_
