"""conclude() on synthetic runs. The slowed run is made here, in the test:
the report itself has no way to slow anything down."""

import json
import os
import tempfile
import unittest

import report
import results


def e2e_json(tokens_per_second, ready_ms):
    """Google Benchmark JSON as //bench:e2e writes it, 5 repetitions."""
    runs = []
    for i, scale in enumerate([1.0, 1.01, 0.99, 1.005, 0.995]):
        for threads in (1, 2):
            name = f"e2e/avx2/tg128/threads:{threads}"
            runs.append({"name": name + "/iterations:1/manual_time", "run_name": name + "/iterations:1/manual_time", "run_type": "iteration", "repetition_index": i,
                         "real_time": 128e3 / (tokens_per_second * threads * scale), "time_unit": "ms",
                         "tokens_per_second": tokens_per_second * threads * scale, "of_roofline": 0.5,
                         "bytes_per_token": 1.1e9, "roofline_tokens_per_second": 2 * tokens_per_second * threads,
                         "rss_MiB": 900})
            name = f"e2e/avx2/ready/threads:{threads}"
            runs.append({"name": name, "run_name": name, "run_type": "iteration", "repetition_index": i,
                         "real_time": ready_ms * scale, "time_unit": "ms", "rss_MiB": 800})
        runs.append({"name": "e2e/avx2/tg128/threads:2_median", "run_name": "e2e/avx2/tg128/threads:2",
                     "run_type": "aggregate", "real_time": 1.0, "time_unit": "ms"})
    return {"context": {"cpu": "Test CPU", "read_bandwidth_1t_GB/s": "19.0"}, "benchmarks": runs}


def make_run(tokens_per_second=10.0, ready_ms=3000.0, bit_exact=True):
    e2e = e2e_json(tokens_per_second, ready_ms)
    return {"date": "2026-11-21", "commit": "abc1234", "cpu": "Test CPU", "quick": False,
            "metrics": results.metrics_from_benchmarks(e2e), "e2e_json": e2e, "kernels_json": {},
            "conformance": [{"check": "engine_vs_reference", "variant": "avx2", "configuration": "2 threads",
                             "bit_exact": bit_exact, "difference": "" if bit_exact else "position 3"}]}


class ReportTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.baseline = os.path.join(self.dir, "baseline.json")

    def conclude(self, run, *flags):
        args = report.parse_args(["--baseline", self.baseline, *flags])
        return report.conclude(run, args, os.path.join(self.dir, "out"))

    def read_report(self):
        with open(os.path.join(self.dir, "out", "report.md")) as f:
            return f.read()

    def test_metrics_from_benchmark_json(self):
        metrics = make_run()["metrics"]
        self.assertEqual(sorted(metrics), ["e2e/avx2/ready/threads:1", "e2e/avx2/ready/threads:2",
                                           "e2e/avx2/tg128/threads:1", "e2e/avx2/tg128/threads:2"])
        self.assertEqual(len(metrics["e2e/avx2/tg128/threads:2"]["samples"]), 5)  # aggregates left out
        self.assertTrue(metrics["e2e/avx2/tg128/threads:2"]["higher_is_better"])
        self.assertFalse(metrics["e2e/avx2/ready/threads:1"]["higher_is_better"])

    def test_without_baseline_then_accepted(self):
        self.assertEqual(self.conclude(make_run(), "--fail-on-regression", "--accept-baseline"), 0)
        self.assertIn("no baseline", self.read_report())
        self.assertEqual(results.load_baseline(self.baseline)["metrics"], make_run()["metrics"])
        for chart in ("threads-tg128.svg", "roofline.svg"):
            self.assertTrue(os.path.exists(os.path.join(self.dir, "out", chart)), chart)

    def test_an_artificially_slowed_run_fails_on_regression(self):
        self.conclude(make_run(), "--accept-baseline")
        slowed = make_run(tokens_per_second=8.0, ready_ms=3600.0)  # 20% slower
        self.assertEqual(self.conclude(slowed), 0)  # flagged, but not asked to fail
        self.assertEqual(self.conclude(slowed, "--fail-on-regression"), 1)
        text = self.read_report()
        top = text[:text.index("## ")]
        self.assertIn("4 regression(s) beyond noise", top)
        self.assertIn("`e2e/avx2/tg128/threads:2`: -20.0%", top)
        self.assertTrue(os.path.exists(os.path.join(self.dir, "out", "baseline.svg")))

    def test_the_same_run_passes(self):
        self.conclude(make_run(), "--accept-baseline")
        self.assertEqual(self.conclude(make_run(), "--fail-on-regression"), 0)
        self.assertIn("No regression beyond noise", self.read_report())

    def test_a_conformance_failure_fails(self):
        self.assertEqual(self.conclude(make_run(bit_exact=False)), 1)
        self.assertIn("**NO** (1: 2 threads: position 3)", self.read_report())

    def test_the_paired_comparison_is_reported(self):
        run = make_run()
        spread = lambda m: {"q1": m * 0.9, "median": m, "q3": m * 1.1}
        run["paired"] = [{"threads": t, "rounds": 24, "segment": 16, "tokens": 128, "baseline": "avx2-official",
                          "configurations": [
                              {"name": "avx2", "seconds_per_token": spread(0.036 * t), "speed_ratio": spread(1.5)},
                              {"name": "avx2-official", "seconds_per_token": spread(0.054 * t),
                               "speed_ratio": spread(1.0)}]} for t in (1, 2)]
        self.conclude(run)
        text = self.read_report()
        self.assertIn("### Decoding in turns: speed against the official path", text)
        self.assertIn("| 2 | avx2 | 72.0 (64.8..79.2) | 13.9 | **1.50×** (1.35..1.65) against avx2-official |", text)
        self.assertIn("| 1 | avx2-official | 54.0 (48.6..59.4) | 18.5 | **1.00×** (0.90..1.10) against avx2-official |",
                      text)

    def test_a_bad_baseline_is_a_clear_error(self):
        with open(self.baseline, "w") as f:
            json.dump({"metrics": {"x": {"samples": []}}}, f)
        with self.assertRaisesRegex(ValueError, "metric 'x' has no samples"):
            self.conclude(make_run())
        with open(self.baseline, "w") as f:
            f.write("{")
        with self.assertRaisesRegex(ValueError, "not JSON"):
            self.conclude(make_run())


if __name__ == "__main__":
    unittest.main()
