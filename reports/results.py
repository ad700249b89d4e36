"""The metrics of a run, taken from Google Benchmark JSON, and the baseline
file (reports/baseline.json) that stores them.

A metric is one benchmark's figure of merit with every repetition's value:
  e2e workloads       tokens per second (higher is better)
  e2e ready           milliseconds from process start to first logits (lower)
  kernel matmuls      GB/s of weights streamed (higher)
  other kernels       nanoseconds per call (lower)
"""

import json
import re
import statistics

_TIME_UNITS_TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


# What Google Benchmark appends to a name for per-benchmark settings.
_SETTINGS = re.compile(r"(/(iterations:\d+|repeats:\d+|min_time:[\d.]+|manual_time|real_time))+$")


def benchmark_name(run):
    """The run's name without its settings: e2e/avx2/tg128/threads:2."""
    return _SETTINGS.sub("", run.get("run_name", run["name"]))


def _ms(run):
    return run["real_time"] * _TIME_UNITS_TO_MS[run.get("time_unit", "ns")]


def metrics_from_benchmarks(benchmark_json):
    """{key: {"unit", "higher_is_better", "samples"}} from one binary's JSON."""
    metrics = {}
    for run in benchmark_json.get("benchmarks", []):
        if run.get("run_type", "iteration") != "iteration" or run.get("error_occurred"):
            continue
        name = benchmark_name(run)
        if name.startswith("e2e/") and "tokens_per_second" in run:
            key, unit, higher, value = name, "tok/s", True, run["tokens_per_second"]
        elif name.startswith("e2e/"):
            key, unit, higher, value = name, "ms", False, _ms(run)
        elif "bytes_per_second" in run and "matmul" in name:
            key, unit, higher, value = name, "GB/s", True, run["bytes_per_second"] / 1e9
        else:
            key, unit, higher, value = name, "ns", False, _ms(run) * 1e6
        metric = metrics.setdefault(key, {"unit": unit, "higher_is_better": higher, "samples": []})
        metric["samples"].append(value)
    return metrics


def counter_medians(benchmark_json, counter):
    """{run_name: median of `counter` over the repetitions} for runs that have it."""
    values = {}
    for run in benchmark_json.get("benchmarks", []):
        if run.get("run_type", "iteration") == "iteration" and counter in run:
            values.setdefault(benchmark_name(run), []).append(run[counter])
    return {name: statistics.median(v) for name, v in values.items()}


def load_baseline(path):
    """The baseline's metrics, or None if there is no baseline file. Raises
    ValueError naming the file if it is not a baseline."""
    try:
        with open(path) as f:
            baseline = json.load(f)
    except FileNotFoundError:
        return None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON: {e}") from e
    if not isinstance(baseline, dict) or not isinstance(baseline.get("metrics"), dict):
        raise ValueError(f"{path}: no 'metrics' object: not a baseline file")
    for key, metric in baseline["metrics"].items():
        if not isinstance(metric, dict) or not metric.get("samples") or "higher_is_better" not in metric:
            raise ValueError(f"{path}: metric '{key}' has no samples or direction")
    return baseline


def save_baseline(path, run):
    """Writes the run's metrics and what identifies it as the baseline."""
    keep = ("commit", "date", "cpu", "quick", "metrics")
    with open(path, "w") as f:
        json.dump({k: run[k] for k in keep}, f, indent=1, sort_keys=True)
        f.write("\n")
