// The built-in default model: what commands run on when no model file is
// given. It is the synthetic model with the exact shapes of the official
// BitNet b1.58 2B4T file (config "2b4t", seed 1; see synthetic_model.h),
// generated on first use into the git-ignored cache folder models/ at the
// repository root and reused afterwards.
//
// The repository root is $BUILD_WORKSPACE_DIRECTORY when run by `bazel run`,
// else the current directory.
#ifndef BITBRAIN_ENGINE_SYNTHETIC_DEFAULT_MODEL_H_
#define BITBRAIN_ENGINE_SYNTHETIC_DEFAULT_MODEL_H_

#include <string>

namespace bitbrain::synthetic {

// Where the default model is (or will be) cached.
std::string DefaultModelPath();

// Returns DefaultModelPath(), first generating the model there if it is
// missing: 1.2 GB, a few seconds, one line on stderr and a progress bar on
// a terminal. Throws on I/O errors.
std::string EnsureDefaultModel();

}  // namespace bitbrain::synthetic

#endif  // BITBRAIN_ENGINE_SYNTHETIC_DEFAULT_MODEL_H_
