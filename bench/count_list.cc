#include "bench/count_list.h"

#include <charconv>
#include <stdexcept>
#include <string>

namespace bitbrain::bench {

std::vector<int> ParseCounts(std::string_view flag, std::string_view text) {
  std::vector<int> counts;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(start, comma - start);
    int value = 0;
    const auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || error != std::errc() || end != item.data() + item.size() || value < 1) {
      throw std::invalid_argument(std::string(flag) + " wants positive integers separated by commas, got '" +
                                  std::string(text) + "'");
    }
    counts.push_back(value);
    start = comma + 1;
  }
  return counts;
}

std::vector<std::string> SplitNames(std::string_view text) {
  std::vector<std::string> names;
  for (size_t start = 0; start <= text.size();) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    names.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return names;
}

}  // namespace bitbrain::bench
