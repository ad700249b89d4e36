#include "engine/cli/working_directory.h"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace bitbrain::cli {

void EnterInvocationDirectory() {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (dir != nullptr && chdir(dir) != 0) {
    throw std::runtime_error(std::string("cannot enter ") + dir);
  }
}

}  // namespace bitbrain::cli
