// The fuzz target for the GGUF reader and the model layer: any input must be
// either accepted or rejected with GgufError, never crash or read out of
// bounds. Built with libFuzzer by run_fuzzer.sh and run over mutated seeds by
// gguf_fuzzer_test.
#ifndef BITBRAIN_ENGINE_GGUF_FUZZ_GGUF_FUZZER_H_
#define BITBRAIN_ENGINE_GGUF_FUZZ_GGUF_FUZZER_H_

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

#endif  // BITBRAIN_ENGINE_GGUF_FUZZ_GGUF_FUZZER_H_
