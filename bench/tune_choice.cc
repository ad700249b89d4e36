#include "bench/tune_choice.h"

#include <algorithm>
#include <stdexcept>

namespace bitbrain::bench {

size_t ChooseCandidate(const std::vector<double>& seconds, size_t default_index, double margin) {
  if (default_index >= seconds.size()) {
    throw std::invalid_argument("ChooseCandidate: the default is not among the candidates");
  }
  const size_t fastest = std::min_element(seconds.begin(), seconds.end()) - seconds.begin();
  return seconds[fastest] <= (1 - margin) * seconds[default_index] ? fastest : default_index;
}

}  // namespace bitbrain::bench
