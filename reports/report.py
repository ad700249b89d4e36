"""bazel run //reports:report [-- --quick] [--fail-on-regression] [--accept-baseline]

The project's main job: how correct and how fast the engine is on this
machine, against the hardware limits and the accepted baseline. Runs, each
as a built binary (no bazel inside bazel):
  1. the conformance summary (//conformance:summary) on the tiny model,
  2. the kernel benchmarks (//bench:kernels --quick),
  3. the end-to-end benchmarks (//bench:e2e) on the default 2B4T-shaped model,
     which is generated first if missing,
  4. the paired decoding comparison (//bench:paired) on the same model, one
     run per thread count, each configuration's speed against the official
     path's round by round,
then writes reports/<date>-<commit>/report.md with SVG charts, the raw JSON
and results.json, and compares with reports/baseline.json.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

import regression
import report_markdown
import results

HERE = os.path.dirname(os.path.abspath(__file__))
RUNFILES_ROOT = os.path.dirname(HERE)  # the workspace's runfiles: bench/e2e, ...
REPO = os.environ.get("BUILD_WORKSPACE_DIRECTORY", os.getcwd())


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer workloads and repetitions (3: too few to flag a regression)")
    p.add_argument("--fail-on-regression", action="store_true", help="exit 1 if a metric regressed beyond noise")
    p.add_argument("--accept-baseline", action="store_true", help="make this run the new reports/baseline.json")
    p.add_argument("--baseline", default=os.path.join(REPO, "reports", "baseline.json"))
    p.add_argument("--out", help="output folder (default reports/<date>-<commit>)")
    p.add_argument("--model", help="model for the e2e benchmark (default: the built-in 2B4T-shaped one)")
    p.add_argument("--skip", action="append", default=[], choices=["conformance", "kernels", "e2e", "paired"],
                   help="leave a part out (repeatable)")
    return p.parse_args(argv)


def _git(*args):
    try:
        return subprocess.run(["git", "-C", REPO, *args], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


class Progress:
    def __init__(self, steps):
        self.start = time.monotonic()
        self.steps = steps
        self.done = 0

    def step(self, what):
        self.done += 1
        print(f"[{self.done}/{self.steps}] {what} ({self.elapsed()} so far)", file=sys.stderr, flush=True)

    def elapsed(self):
        seconds = int(time.monotonic() - self.start)
        return f"{seconds // 60}m{seconds % 60:02d}s"


def _run(command, log_path):
    """Runs a binary with its stdout to log_path and stderr shown; raises on failure."""
    with open(log_path, "w") as log:
        status = subprocess.run(command, stdout=log, cwd=RUNFILES_ROOT).returncode
    if status != 0:
        raise RuntimeError(f"{' '.join(command)} failed with status {status} (output in {log_path})")


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def collect(args, directory, progress):
    """Runs the parts and returns the run: metadata, metrics and raw results."""
    run = {"date": datetime.date.today().isoformat(), "commit": _git("rev-parse", "--short", "HEAD") or "unknown",
           "cpu": "", "quick": args.quick, "metrics": {}, "conformance": [], "e2e_json": {}, "kernels_json": {},
           "paired": []}
    if _git("status", "--porcelain", "--untracked-files=no"):
        run["commit"] += " with local changes"
    if "conformance" not in args.skip:
        progress.step("conformance summary on the tiny model")
        log = os.path.join(directory, "conformance.jsonl")
        _run([os.path.join(RUNFILES_ROOT, "conformance", "summary"), "--model", "engine/synthetic/tiny.gguf"], log)
        with open(log) as f:
            run["conformance"] = [json.loads(line) for line in f if line.strip()]
    if "kernels" not in args.skip:
        progress.step("kernel benchmarks (//bench:kernels --quick), about a minute")
        out = os.path.join(directory, "kernels.json")
        _run([os.path.join(RUNFILES_ROOT, "bench", "kernels"), "--quick", "--benchmark_filter=-/scalar/",
              f"--benchmark_repetitions={1 if args.quick else 3}", f"--benchmark_out={out}",
              "--benchmark_out_format=json"], os.path.join(directory, "kernels.txt"))
        run["kernels_json"] = _read_json(out)
        run["metrics"].update(results.metrics_from_benchmarks(run["kernels_json"]))
    if "e2e" not in args.skip:
        progress.step("end-to-end benchmarks (//bench:e2e" + (" --quick" if args.quick else "") +
                      "), a few minutes; generates the default model first if missing")
        out = os.path.join(directory, "e2e.json")
        command = [os.path.join(RUNFILES_ROOT, "bench", "e2e"), f"--benchmark_out={out}", "--benchmark_out_format=json"]
        command += ["--quick"] if args.quick else []
        command += [f"--model={args.model}"] if args.model else []
        _run(command, os.path.join(directory, "e2e.txt"))
        run["e2e_json"] = _read_json(out)
        run["metrics"].update(results.metrics_from_benchmarks(run["e2e_json"]))
        run["cpu"] = run["e2e_json"].get("context", {}).get("cpu", "")
    if "paired" not in args.skip:
        cores = os.cpu_count() or 1
        rounds = 8 if args.quick else 24
        progress.step(f"paired decoding comparison (//bench:paired, {rounds} rounds), 1 to {cores} threads, "
                      "a few minutes")
        for threads in range(1, cores + 1):
            out = os.path.join(directory, f"paired-{threads}t.json")
            command = [os.path.join(RUNFILES_ROOT, "bench", "paired"), f"--threads={threads}",
                       f"--rounds={rounds}", f"--json={out}"]
            command += [f"--model={args.model}"] if args.model else []
            _run(command, os.path.join(directory, f"paired-{threads}t.txt"))
            run["paired"].append(_read_json(out))
    return run


def conclude(run, args, directory, elapsed_note=""):
    """Compares with the baseline, writes the report and results.json, accepts
    the baseline if asked; returns the exit status."""
    baseline = results.load_baseline(args.baseline)
    if baseline is None:
        changes, note = [], f"no baseline at {args.baseline}"
    else:
        changes = regression.compare(baseline["metrics"], run["metrics"])
        note = f"baseline {baseline.get('commit', '?')} of {baseline.get('date', '?')}"
    path = report_markdown.write_report(directory, run, changes, note, elapsed_note)
    with open(os.path.join(directory, "results.json"), "w") as f:
        json.dump({k: run[k] for k in ("commit", "date", "cpu", "quick", "metrics", "conformance")}, f, indent=1)
    print(f"report: {path}", file=sys.stderr)
    bad = regression.regressions(changes)
    for c in bad:
        print(f"REGRESSION {c.key}: {c.change * 100:+.1f}% (p = {c.p_value:.3f})", file=sys.stderr)
    failed_checks = [c for c in run["conformance"] if not c["bit_exact"]]
    for c in failed_checks:
        print(f"NOT BIT-EXACT {c['check']} {c['variant']} {c['configuration']}: {c['difference']}", file=sys.stderr)
    if args.accept_baseline:
        results.save_baseline(args.baseline, run)
        print(f"accepted this run as the baseline: {args.baseline}", file=sys.stderr)
    if failed_checks:
        return 1
    return 1 if (bad and args.fail_on_regression) else 0


def main(argv):
    args = parse_args(argv)
    progress = Progress(4 - len(set(args.skip)))
    stamp = datetime.date.today().isoformat() + "-" + (_git("rev-parse", "--short", "HEAD") or "unknown")
    directory = args.out or os.path.join(REPO, "reports", stamp)
    os.makedirs(directory, exist_ok=True)
    print(f"report: writing {directory}", file=sys.stderr)
    try:
        run = collect(args, directory, progress)
        status = conclude(run, args, directory, f"The run took {progress.elapsed()}.")
    except (RuntimeError, ValueError, OSError) as e:
        print(f"report: error: {e}", file=sys.stderr)
        return 2
    print(f"report: done in {progress.elapsed()}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
