#include "bench/case_label.h"

#include <charconv>
#include <vector>

namespace bitbrain::bench {
namespace {

std::vector<std::string_view> SplitSlashes(std::string_view name) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t slash = name.find('/', start);
    parts.push_back(name.substr(start, slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

// "key:123" -> 123 if the part has that key and a positive number.
std::optional<int> KeyedNumber(std::string_view part, std::string_view key) {
  if (part.size() <= key.size() + 1 || part.substr(0, key.size()) != key || part[key.size()] != ':') return std::nullopt;
  const std::string_view digits = part.substr(key.size() + 1);
  int value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value < 1) return std::nullopt;
  return value;
}

}  // namespace

std::string CaseName(const CaseLabel& label) {
  return label.kernel + "/" + label.variant + "/" + label.shape + "/tokens:" + std::to_string(label.tokens) +
         "/threads:" + std::to_string(label.threads);
}

std::optional<CaseLabel> ParseCaseName(std::string_view name) {
  const std::vector<std::string_view> parts = SplitSlashes(name);
  if (parts.size() != 5 || parts[0].empty() || parts[1].empty() || parts[2].empty()) return std::nullopt;
  const std::optional<int> tokens = KeyedNumber(parts[3], "tokens");
  const std::optional<int> threads = KeyedNumber(parts[4], "threads");
  if (!tokens || !threads) return std::nullopt;
  return CaseLabel{.kernel = std::string(parts[0]),
                   .variant = std::string(parts[1]),
                   .shape = std::string(parts[2]),
                   .tokens = *tokens,
                   .threads = *threads};
}

}  // namespace bitbrain::bench
