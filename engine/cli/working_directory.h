// Under `bazel run`, a binary starts in Bazel's runfiles directory; relative
// paths the user typed (--out x.gguf, --model y.gguf) mean the directory the
// command was typed in, which Bazel passes as $BUILD_WORKING_DIRECTORY.
#ifndef BITBRAIN_ENGINE_CLI_WORKING_DIRECTORY_H_
#define BITBRAIN_ENGINE_CLI_WORKING_DIRECTORY_H_

namespace bitbrain::cli {

// Enters $BUILD_WORKING_DIRECTORY when it is set; throws std::runtime_error
// if it cannot.
void EnterInvocationDirectory();

}  // namespace bitbrain::cli

#endif  // BITBRAIN_ENGINE_CLI_WORKING_DIRECTORY_H_
