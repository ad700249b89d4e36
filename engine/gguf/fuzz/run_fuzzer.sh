#!/bin/bash
# Builds the GGUF reader fuzzer with Debian's clang (libFuzzer + AddressSanitizer
# + UndefinedBehaviorSanitizer) and runs it on seeds produced by the writer.
#
#   engine/gguf/fuzz/run_fuzzer.sh [SECONDS] [WORKDIR]
#
# SECONDS defaults to 60; WORKDIR (default /tmp/bitbrain-gguf-fuzz) keeps the
# binaries, the growing corpus and any crashing inputs (crash-*, leak-*, ...).
# Every finding must become a row of engine/gguf/gguf_malformed_test.cc.
set -euo pipefail

seconds="${1:-60}"
workdir="${2:-/tmp/bitbrain-gguf-fuzz}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"

command -v clang++ >/dev/null || { echo "run_fuzzer.sh: clang++ not found (apt-get install clang)" >&2; exit 1; }
mkdir -p "$workdir/seeds" "$workdir/corpus"

library_sources=(
  engine/gguf/gguf_reader.cc engine/gguf/gguf_types.cc engine/gguf/gguf_writer.cc
  kernels/formats/f16.cc kernels/formats/i2s.cc
  engine/model/bitnet_model.cc engine/model/test_model.cc
)
flags=(-std=c++20 -I. -Wall -Wextra -ffp-contract=off)

echo "building the seed writer and the fuzzer in $workdir ..."
clang++ "${flags[@]}" -O1 -o "$workdir/write_fuzz_seeds" \
  "${library_sources[@]}" engine/gguf/fuzz/fuzz_seeds.cc engine/gguf/fuzz/write_fuzz_seeds.cc
clang++ "${flags[@]}" -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -o "$workdir/gguf_fuzzer" "${library_sources[@]}" engine/gguf/fuzz/gguf_fuzzer.cc

"$workdir/write_fuzz_seeds" "$workdir/seeds"
echo "seeds: $(ls "$workdir/seeds" | tr '\n' ' ')"

# New interesting inputs go to corpus/; crashing ones to WORKDIR/crash-*.
# The reader may legitimately allocate up to a few times the input size.
"$workdir/gguf_fuzzer" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
  -artifact_prefix="$workdir/" "$workdir/corpus" "$workdir/seeds"
