#!/bin/sh
# bitbrain run/chat/logits given bad arguments or files: exactly one line on
# stderr and a non-zero exit. Usage: generation_commands_errors_test.sh BITBRAIN TINY_MODEL
bitbrain="$1"
model="$2"
failures=0

expect_one_line_error() {
  "$bitbrain" "$@" >/dev/null 2>stderr.txt </dev/null
  status=$?
  lines=$(wc -l <stderr.txt)
  if [ "$status" -eq 0 ] || [ "$lines" -ne 1 ]; then
    echo "FAIL: bitbrain $* -> exit $status, $lines lines on stderr:"
    cat stderr.txt
    failures=$((failures + 1))
  fi
}

cd "${TEST_TMPDIR:-/tmp}" 2>/dev/null || exit 1
expect_one_line_error run --model "$model"                      # no --prompt
expect_one_line_error run --model "$model" -p hi -n notanumber
expect_one_line_error run --model /no/such/file.gguf -p hi
expect_one_line_error run --model "$model" -p "a long prompt for a tiny context" --ctx 3
expect_one_line_error run --model "$model" -p hi --top-p 2
expect_one_line_error run --model "$model" -p hi --isa sse9
expect_one_line_error chat --model /no/such/file.gguf
expect_one_line_error logits --model "$model" -p hi             # no --out
expect_one_line_error logits --model "$model" -p hi --out /no/such/dir/x.npy
printf 'not a gguf file' >not_a_model.gguf
expect_one_line_error logits --model not_a_model.gguf -p hi --out x.npy

if [ "$failures" -ne 0 ]; then exit 1; fi
echo "all errors were one line with a non-zero exit"
