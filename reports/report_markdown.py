"""report.md and its SVG charts, from a run (report.py) and its comparison
with the baseline (regression.py)."""

import os
import re
import statistics

import results
import svg_chart

_E2E = re.compile(r"e2e/(?P<config>[^/]+)/(?P<workload>[^/]+)/threads:(?P<threads>\d+)")


def _e2e_rows(run):
    """(config, workload, threads, metric) for every e2e metric."""
    rows = []
    for key, metric in run["metrics"].items():
        m = _E2E.fullmatch(key)
        if m:
            rows.append((m["config"], m["workload"], int(m["threads"]), metric))
    return rows


def _median(metric):
    return statistics.median(metric["samples"])


def _spread(metric):
    s = metric["samples"]
    m = statistics.median(s)
    return f"±{(max(s) - min(s)) / 2 / m * 100:.0f}%" if m and len(s) > 1 else ""


def _write(directory, name, svg):
    with open(os.path.join(directory, name), "w") as f:
        f.write(svg)
    return f"![{name}]({name})"


def _change_cell(c):
    p = "n/a" if c.p_value is None else f"{c.p_value:.3f}"
    verdict = "**REGRESSION**" if c.regression else ("better" if c.better and c.significant else
                                                     ("worse" if c.significant else "noise"))
    return f"| `{c.key}` | {c.baseline:.4g} {c.unit} | {c.current:.4g} | {c.change * 100:+.1f}% | {p} | {verdict} |"


def _fewer_bytes_section(run, rows, bytes_per_token):
    """Decoding with the compact layout and the screened head against the
    official format's path ("-official": 2-bit weights, full F16 head), and
    against that path's roofline, which no engine reading those bytes beats."""
    limits = results.counter_medians(run.get("e2e_json", {}), "roofline_tokens_per_second")
    lines = []
    for official, workload, threads, base_metric in rows:
        if not official.endswith("-official") or not workload.startswith("tg"):
            continue
        best = official[:-len("-official")]
        if not lines:
            lines = ["### Fewer bytes per token than the official format", "",
                     "Single-stream greedy decoding, tokens identical in every configuration "
                     "(conformance). *speed-up*: against the official format's path in the same run; "
                     "*official roofline*: read bandwidth / the official path's bytes per token.", "",
                     "| workload | threads | configuration | tok/s | MB read / token | speed-up | official roofline |",
                     "|---|---|---|---|---|---|---|"]
        key = f"e2e/{official}/{workload}/threads:{threads}"
        base = _median(base_metric)
        for config in (official, f"{best}-2bit", f"{best}-full-head", best):
            metric = run["metrics"].get(f"e2e/{config}/{workload}/threads:{threads}")
            if metric is None:
                continue
            mb = bytes_per_token.get(f"e2e/{config}/{workload}/threads:{threads}")
            lines.append(f"| {workload} | {threads} | {config} | {_median(metric):.3g} | "
                         f"{'' if mb is None else f'{mb / 1e6:.0f}'} | {_median(metric) / base:.2f}× | "
                         f"{limits.get(key, 0):.3g} tok/s |")
    return lines + [""] if lines else []


def _paired_section(run):
    """//bench:paired: the configurations decoding in turns, each round's speed
    against the baseline (the official path), which cancels most of a shared
    machine's drift."""
    tables = run.get("paired", [])
    if not tables:
        return []
    first = tables[0]
    lines = ["### Decoding in turns: speed against the official path", "",
             f"`//bench:paired`: every configuration loaded at once, decoding {first['segment']} greedy steps "
             f"in turn (tg{first['tokens']}, the order rotating), {first['rounds']} rounds. *speed*: the "
             "baseline's time per token over the configuration's, in the same round; median and quartiles "
             "of the rounds.", "",
             "| threads | configuration | ms / token (q1..q3) | tok/s | speed (q1..q3) |", "|---|---|---|---|---|"]
    for table in tables:
        for c in table["configurations"]:
            t, r = c["seconds_per_token"], c["speed_ratio"]
            lines.append(f"| {table['threads']} | {c['name']} | {t['median'] * 1e3:.1f} "
                         f"({t['q1'] * 1e3:.1f}..{t['q3'] * 1e3:.1f}) | {1 / t['median']:.3g} | "
                         f"**{r['median']:.2f}×** ({r['q1']:.2f}..{r['q3']:.2f}) against {table['baseline']} |")
    return lines + [""]


def write_report(directory, run, changes, baseline_note, elapsed_note):
    """Writes report.md and the charts into `directory`; returns report.md's path."""
    os.makedirs(directory, exist_ok=True)
    e2e = run.get("e2e_json", {})
    kernels = run.get("kernels_json", {})
    lines = [f"# bitbrain report {run['date']} ({run['commit']})", ""]
    bad = [c for c in changes if c.regression]
    if bad:
        lines += [f"**{len(bad)} regression(s) beyond noise against the baseline:**", ""]
        lines += [f"- `{c.key}`: {c.change * 100:+.1f}% (p = {c.p_value:.3f})" for c in bad] + [""]
    else:
        lines += [f"No regression beyond noise against the baseline ({baseline_note}).", ""]
    lines += [f"CPU: {run['cpu']}. {'Quick run. ' if run['quick'] else ''}{elapsed_note}", ""]
    context = e2e.get("context", {})
    probes = [f"- {k}: {v}" for k, v in context.items() if k.startswith(("read_bandwidth", "int8_peak"))]
    if probes:
        lines += ["Machine limits probed in the end-to-end run:", ""] + probes + [""]

    # Headline table: every e2e metric.
    rows = _e2e_rows(run)
    roofline = results.counter_medians(e2e, "of_roofline")
    peak = results.counter_medians(e2e, "of_int8_peak")
    bytes_per_token = results.counter_medians(e2e, "bytes_per_token")
    rss = results.counter_medians(e2e, "rss_MiB")
    if rows:
        lines += ["## End to end", "",
                  "Medians over the repetitions, with half the min-max spread. *of limit*: decoding against "
                  "read bandwidth / bytes read per token (the roofline); prefill GMAC/s against the int8 peak. "
                  "`ready` is a fresh process's start to its first logits (model file in the page cache).", "",
                  "| configuration | workload | threads | median | spread | of limit | MB read / token | RSS MiB |",
                  "|---|---|---|---|---|---|---|---|"]
        for config, workload, threads, metric in rows:
            key = f"e2e/{config}/{workload}/threads:{threads}"
            limit = (f"{roofline[key] * 100:.0f}% bw" if key in roofline else
                     f"{peak[key] * 100:.0f}% peak" if key in peak else "")
            mb = f"{bytes_per_token[key] / 1e6:.0f}" if key in bytes_per_token else ""
            lines.append(f"| {config} | {workload} | {threads} | {_median(metric):.4g} {metric['unit']} | "
                         f"{_spread(metric)} | {limit} | {mb} | {rss.get(key, 0):.0f} |")
        lines.append("")

        workloads = sorted({w for _, w, _, _ in rows if w != "ready"})
        for workload in workloads:
            series = {}
            for config, w, threads, metric in rows:
                if w == workload:
                    series.setdefault(config, []).append((threads, _median(metric)))
            name = f"threads-{workload}.svg"
            lines.append(_write(directory, name, svg_chart.line_chart(
                f"{workload}: throughput against threads", "threads", "tokens / s", series)))
        lines.append("")

        decode = [(c, w, t, m) for c, w, t, m in rows if f"e2e/{c}/{w}/threads:{t}" in roofline]
        if decode:
            limits = results.counter_medians(e2e, "roofline_tokens_per_second")
            categories = [f"{c} {w} {t}t" for c, w, t, _ in decode]
            measured = [_median(m) for _, _, _, m in decode]
            limit = [limits[f"e2e/{c}/{w}/threads:{t}"] for c, w, t, _ in decode]
            lines += ["", _write(directory, "roofline.svg", svg_chart.bar_chart(
                "Decoding against its memory-bound limit", "tokens / s", categories,
                {"measured": measured, "roofline": limit})), ""]

        configs = sorted({c for c, _, _, _ in rows})
        tuned = [c for c in configs if c.endswith("-tuned")]
        if tuned:
            lines += ["### Tuned against built-in defaults", "",
                      "| workload | threads | default | tuned | change |", "|---|---|---|---|---|"]
            for t in tuned:
                base = t[:-len("-tuned")]
                for config, workload, threads, metric in rows:
                    other = run["metrics"].get(f"e2e/{base}/{workload}/threads:{threads}")
                    if config == t and other:
                        a, b = _median(other), _median(metric)
                        lines.append(f"| {workload} | {threads} | {a:.4g} {metric['unit']} | {b:.4g} | "
                                     f"{(b / a - 1) * 100:+.1f}% |")
            lines.append("")
        else:
            lines += ["No tuning file for this CPU: run `bazel run //bench:tune` for a tuned configuration.", ""]

        lines += _fewer_bytes_section(run, rows, bytes_per_token)
    lines += _paired_section(run)

    # Kernels.
    fractions = results.counter_medians(kernels, "of_bandwidth")
    peaks = results.counter_medians(kernels, "of_int8_peak")
    if fractions:
        gemv = {k: v for k, v in fractions.items() if "/tokens:1/" in k}
        lines += ["## Kernels", "", _write(directory, "kernel-bandwidth.svg", svg_chart.bar_chart(
            "GEMV: fraction of the read bandwidth", "of bandwidth", list(gemv), {"of bandwidth": list(gemv.values())},
            percent=True)), ""]
        lines += ["| kernel | of bandwidth | of int8 peak |", "|---|---|---|"]
        for key, value in fractions.items():
            lines.append(f"| `{key}` | {value * 100:.0f}% | " + (f"{peaks[key] * 100:.0f}% |" if key in peaks else "|"))
        lines.append("")

    # Conformance.
    checks = run.get("conformance", [])
    if checks:
        lines += ["## Conformance (bit-exact against the truth)", "",
                  "| check | variant | configurations | bit-exact |", "|---|---|---|---|"]
        groups = {}
        for c in checks:
            groups.setdefault((c["check"], c["variant"]), []).append(c)
        for (check, variant), cases in groups.items():
            failed = [c for c in cases if not c["bit_exact"]]
            verdict = "yes" if not failed else f"**NO** ({len(failed)}: {failed[0]['configuration']}: {failed[0]['difference']})"
            lines.append(f"| {check} | {variant} | {len(cases)} | {verdict} |")
        lines.append("")

    # Baseline.
    lines += ["## Against the baseline", ""]
    if changes:
        colors = ["#e15759" if c.regression else "#59a14f" if c.better and c.significant else "#bbbbbb"
                  for c in changes]
        lines += [_write(directory, "baseline.svg", svg_chart.bar_chart(
            "Change against the baseline (red: regression, green: significant gain, grey: noise)",
            "change of the median", [c.key for c in changes], {"change": [c.change for c in changes]},
            colors=colors, percent=True)), "",
            "Mann-Whitney U test on the repetitions, two-sided; a regression is significant (p < 0.05) "
            "and worse by more than 3%.", "",
            "| metric | baseline | now | change | p | verdict |", "|---|---|---|---|---|---|"]
        lines += [_change_cell(c) for c in changes]
    else:
        lines.append(f"Nothing to compare ({baseline_note}).")
    lines.append("")
    path = os.path.join(directory, "report.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path
