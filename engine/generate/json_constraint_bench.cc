// The cost of JSON-constrained decoding per token over a model's vocabulary:
//   bazel run //engine/generate:json_constraint_bench -- MODEL.gguf [RUNS]
// Prints the time to build the vocabulary trie (once per model) and the
// median time of one JsonConstraint::Mask() after prefixes that stand for
// the states a reply passes through. Times are the process's CPU time, which
// a busy shared machine disturbs less than wall time (one thread).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <string>
#include <vector>

#include "engine/chat/chat_format.h"
#include "engine/generate/json_constraint.h"
#include "engine/gguf/gguf.h"
#include "engine/tokenizer/tokenizer.h"

namespace {

using bitbrain::generate::JsonConstraint;
using bitbrain::generate::JsonSchema;

double CpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int Run(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: json_constraint_bench MODEL.gguf [RUNS]\n");
    return 2;
  }
  const int runs = argc == 3 ? std::max(1, std::atoi(argv[2])) : 21;
  const bitbrain::gguf::File file = bitbrain::gguf::File::Open(argv[1]);
  const auto tokenizer = bitbrain::tokenizer::Tokenizer::FromGguf(file);
  double start = CpuSeconds();
  const bitbrain::generate::VocabularyTrie trie(tokenizer);
  std::printf("vocabulary: %d tokens; trie built in %.1f ms\n", tokenizer.vocab_size(),
              1e3 * (CpuSeconds() - start));

  const JsonSchema any = JsonSchema::AnyObject();
  const struct {
    const char* state;
    std::string prefix;
  } states[] = {
      {"start of the document", ""},
      {"after '{' (a key or '}')", "{"},
      {"in a key", "{\"na"},
      {"before a value", "{\"name\": "},
      {"in a string value", "{\"name\": \"Once upon a time"},
      {"in a number", "{\"name\": 12"},
      {"after a value", "{\"name\": true"},
  };
  std::vector<float> logits(tokenizer.vocab_size());
  for (const auto& [state, prefix] : states) {
    std::vector<double> times;
    int allowed = 0;
    for (int run = 0; run < runs; ++run) {
      // A new constraint each run: one keeps its allowed set until Accept().
      JsonConstraint constraint(any, trie, bitbrain::chat::StopTokens(tokenizer));
      for (const int32_t token : tokenizer.Encode(prefix)) constraint.Accept(token);
      std::fill(logits.begin(), logits.end(), 0.0f);
      start = CpuSeconds();
      allowed = constraint.Mask(logits);
      times.push_back(CpuSeconds() - start);
    }
    std::nth_element(times.begin(), times.begin() + runs / 2, times.end());
    std::printf("%-28s %7d tokens allowed, mask %7.3f ms (median of %d)\n", state, allowed,
                1e3 * times[runs / 2], runs);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "json_constraint_bench: %s\n", e.what());
    return 1;
  }
}
