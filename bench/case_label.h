// What a kernel benchmark measures, and its Google Benchmark name:
//   kernel/variant/shape/tokens:T/threads:N
// e.g. "ternary_matmul/avx2/2560x6912/tokens:1/threads:2", where a matmul
// shape is K x N (input x output, ne0 x ne1 in GGUF terms). The summary table
// reads the fields back from the name.
#ifndef BITBRAIN_BENCH_CASE_LABEL_H_
#define BITBRAIN_BENCH_CASE_LABEL_H_

#include <optional>
#include <string>
#include <string_view>

namespace bitbrain::bench {

struct CaseLabel {
  std::string kernel;   // the registry's family name, e.g. "ternary_matmul"
  std::string variant;  // IsaName(), e.g. "avx2"
  std::string shape;    // e.g. "2560x6912" (K x N) or "6912" (a vector length)
  int tokens = 1;
  int threads = 1;
};

std::string CaseName(const CaseLabel& label);

// The inverse of CaseName; nullopt for a name CaseName does not produce.
std::optional<CaseLabel> ParseCaseName(std::string_view name);

}  // namespace bitbrain::bench

#endif  // BITBRAIN_BENCH_CASE_LABEL_H_
