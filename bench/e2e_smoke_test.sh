#!/bin/bash
# The e2e benchmark on the tiny model, two thread counts, two repetitions and
# a small bandwidth probe: its JSON has every benchmark with its counters, and
# the human table follows.
set -euo pipefail
e2e=bench/e2e
out="$TEST_TMPDIR/e2e.json"
"$e2e" --model=engine/synthetic/tiny.gguf --threads=1,2 --benchmark_repetitions=2 --probe_buffer_mib=64 \
  --workloads=pp16,tg8,b2-tg4 --benchmark_out="$out" --benchmark_out_format=json >"$TEST_TMPDIR/table.txt"
grep -q "e2e/avx2/tg8/threads:2" "$TEST_TMPDIR/table.txt"
python3 - "$out" <<'PY'
import json, re, sys
runs = json.load(open(sys.argv[1]))
assert "read_bandwidth_2t_GB/s" in runs["context"], runs["context"]
iterations = [b for b in runs["benchmarks"] if b.get("run_type") == "iteration"]
# Google Benchmark's settings suffix: /iterations:1[/repeats:3]/manual_time.
for b in iterations:
    b["run_name"], found = re.subn(r"/iterations:1(/repeats:3)?/manual_time$", "", b["run_name"])
    assert found == 1, b["run_name"]
names = {b["run_name"] for b in iterations}
for threads in (1, 2):
    for workload in ("ready", "pp16", "tg8", "b2-tg4"):
        name = f"e2e/avx2/{workload}/threads:{threads}"
        assert name in names, (name, sorted(names))
        repetitions = 3 if workload == "ready" else 2  # ready: always 3
        assert sum(b["run_name"] == name for b in iterations) == repetitions, name
for b in iterations:
    assert b["real_time"] > 0, b
    if "/tg" in b["name"]:
        assert 0 < b["of_roofline"] and b["bytes_per_token"] > 0, b
    if "/pp" in b["name"]:
        assert 0 < b["of_int8_peak"] and b["GMAC_per_second"] > 0, b
    if "/ready/" in b["name"]:
        assert b["rss_MiB"] > 0, b
print("ok:", len(iterations), "runs")
PY
