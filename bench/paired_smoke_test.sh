#!/bin/bash
# The paired comparison on the tiny model: a line per configuration with its
# times and its speed against the baseline (which is 1x against itself), and
# a clear error, not a crash, for a bad flag or an unknown baseline.
set -euo pipefail
# The configurations' names follow the variant in use: avx2 on any machine
# that can run the tests.
export BITBRAIN_ISA=avx2
paired=bench/paired
out="$TEST_TMPDIR/paired.txt"
"$paired" --model=engine/synthetic/tiny.gguf --threads=2 --rounds=3 --segment=2 --tokens=6 \
  --configs=avx2,avx2-official --json="$TEST_TMPDIR/paired.json" >"$out"
cat "$out"
python3 - "$out" "$TEST_TMPDIR/paired.json" <<'PY'
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
assert "2 threads, 3 rounds of 2 steps (tg6)" in lines[0], lines[0]
assert "speed against avx2-official" in lines[1], lines[1]
rows = {}
for line in lines[2:]:
    m = re.fullmatch(r"(\S+) +([\d.]+) \(([\d.]+)\.\.([\d.]+)\) +([\d.]+) +([\d.]+)x \(([\d.]+)\.\.([\d.]+)\)", line)
    assert m, line
    name, median, q1, q3, tps, ratio, r1, r3 = m.groups()
    assert 0 < float(q1) <= float(median) <= float(q3), line
    # tok/s is 1000 / ms, up to the rounding of the printed ms
    assert abs(float(tps) * float(median) / 1000 - 1) <= 0.0006 / float(median) + 0.001, line
    assert float(r1) <= float(ratio) <= float(r3), line
    rows[name] = float(ratio)
assert set(rows) == {"avx2", "avx2-official"}, rows
assert rows["avx2-official"] == 1.0, rows
table = json.load(open(sys.argv[2]))
assert (table["threads"], table["rounds"], table["segment"], table["tokens"]) == (2, 3, 2, 6), table
assert table["baseline"] == "avx2-official", table
for c in table["configurations"]:
    t, r = c["seconds_per_token"], c["speed_ratio"]
    assert 0 < t["q1"] <= t["median"] <= t["q3"], c
    assert abs(r["median"] - rows[c["name"]]) < 0.0006, (c, rows)
print("ok")
PY
if "$paired" --model=engine/synthetic/tiny.gguf --rounds=0 2>"$TEST_TMPDIR/err.txt"; then
  echo "--rounds=0 was accepted"; exit 1
fi
grep -q "rounds wants positive integers" "$TEST_TMPDIR/err.txt"
if "$paired" --model=engine/synthetic/tiny.gguf --configs=avx2 --baseline=avx2-official 2>"$TEST_TMPDIR/err.txt"; then
  echo "an unknown baseline was accepted"; exit 1
fi
grep -q "baseline 'avx2-official' is not among the configurations" "$TEST_TMPDIR/err.txt"
if "$paired" --bogus 2>"$TEST_TMPDIR/err.txt"; then
  echo "--bogus was accepted"; exit 1
fi
grep -q "unknown flag '--bogus'" "$TEST_TMPDIR/err.txt"
echo "ok: errors"
