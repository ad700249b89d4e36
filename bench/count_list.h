// The list flags of the benchmark binaries: "1,8,32" -> {1, 8, 32}.
#ifndef BITBRAIN_BENCH_COUNT_LIST_H_
#define BITBRAIN_BENCH_COUNT_LIST_H_

#include <string>
#include <string_view>
#include <vector>

namespace bitbrain::bench {

// Throws std::invalid_argument, naming `flag`, on anything but positive
// integers separated by commas.
std::vector<int> ParseCounts(std::string_view flag, std::string_view text);

// "a,b,c" -> {"a", "b", "c"}: the name list flags.
std::vector<std::string> SplitNames(std::string_view text);

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_COUNT_LIST_H_
