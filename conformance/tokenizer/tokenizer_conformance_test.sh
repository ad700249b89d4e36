#!/bin/sh
# Generates the corpus, tokenizes it with llama3-tokenizer-js under node and
# with the engine, and compares the ids document by document.
# Arguments: NODE make_corpus.mjs reference_tokenize.mjs BUNDLE.js compare_with_reference MODEL.gguf
set -eu
node=$1 make_corpus=$2 reference=$3 bundle=$4 compare=$5 model=$6
work=${TEST_TMPDIR:-$(mktemp -d)}

"$node" "$make_corpus" "$work/corpus.bin"
"$node" "$reference" "$bundle" "$work/corpus.bin" > "$work/reference_ids.txt"
"$compare" "$model" "$work/corpus.bin" "$work/reference_ids.txt"
