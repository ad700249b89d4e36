#include "engine/gguf/fuzz/gguf_fuzzer.h"

#include "engine/gguf/gguf.h"
#include "engine/model/bitnet_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bitbrain;
  try {
    const gguf::File file = gguf::File::FromBytes(data, size, "fuzz.gguf");
    // Touch the first and last byte of every tensor: the reader promised
    // they are inside the input, and AddressSanitizer checks the promise.
    volatile uint8_t sink = 0;
    for (const gguf::TensorInfo& t : file.tensors()) {
      if (t.n_bytes > 0) sink = sink ^ t.data[0] ^ t.data[t.n_bytes - 1];
    }
    BitnetModel::FromFile(file);
  } catch (const gguf::GgufError&) {
    // Rejected with an error: the expected outcome for most inputs.
  }
  return 0;
}
