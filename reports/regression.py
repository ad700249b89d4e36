"""The comparison of a run with the baseline, metric by metric: the change of
the median and whether it is beyond noise, by the Mann-Whitney U test on the
repetitions (two-sided, as Google Benchmark's compare.py does).

A regression is a change for the worse that is significant (p < alpha) and
larger than min_change: with 5 repetitions on each side the smallest possible
p is 0.008; with 3 it is 0.1, so a quick run (3) never flags one."""

import dataclasses
import statistics

from scipy.stats import mannwhitneyu

ALPHA = 0.05
MIN_CHANGE = 0.03


@dataclasses.dataclass
class Change:
    key: str
    unit: str
    baseline: float  # medians
    current: float
    change: float  # current / baseline - 1
    p_value: float  # None: too few repetitions to test
    better: bool  # in the metric's direction
    significant: bool
    regression: bool


def compare(baseline_metrics, current_metrics, alpha=ALPHA, min_change=MIN_CHANGE):
    """A Change for every metric in both, in the current run's order."""
    changes = []
    for key, current in current_metrics.items():
        base = baseline_metrics.get(key)
        if base is None:
            continue
        b, c = statistics.median(base["samples"]), statistics.median(current["samples"])
        change = c / b - 1 if b else 0.0
        p = None
        if len(base["samples"]) >= 2 and len(current["samples"]) >= 2:
            if base["samples"] == current["samples"]:
                p = 1.0
            else:
                p = float(mannwhitneyu(base["samples"], current["samples"], alternative="two-sided").pvalue)
        better = (change > 0) == current["higher_is_better"]
        significant = p is not None and p < alpha
        changes.append(Change(key, current["unit"], b, c, change, p, better, significant,
                              significant and not better and abs(change) > min_change))
    return changes


def regressions(changes):
    return [c for c in changes if c.regression]
