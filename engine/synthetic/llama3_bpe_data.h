// The LLaMA-3 BPE tokens and merges, extracted at build time from the npm
// package llama3-tokenizer-js by extract_llama3_bpe.cjs (a generated source
// file defines it). Format: see VocabularyFromBpeData in vocabulary.h.
#ifndef BITBRAIN_ENGINE_SYNTHETIC_LLAMA3_BPE_DATA_H_
#define BITBRAIN_ENGINE_SYNTHETIC_LLAMA3_BPE_DATA_H_

#include <string_view>

namespace bitbrain::synthetic {

extern const std::string_view kLlama3BpeData;

}  // namespace bitbrain::synthetic

#endif  // BITBRAIN_ENGINE_SYNTHETIC_LLAMA3_BPE_DATA_H_
