"""Charts as SVG text, written directly (no plotting library): a line chart
(y against x, one line per series) and a horizontal grouped bar chart (one
bar per series in each category; negative values grow to the left)."""

import math
from xml.sax.saxutils import escape

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]
FONT = 'font-family="sans-serif" font-size="12"'


def nice_ticks(low, high, count=5):
    """Round tick values covering [low, high] (low <= high)."""
    if high <= low:
        high = low + (abs(low) if low else 1.0)
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _format(value):
    if value == 0:
        return "0"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.3g}"


def _text(x, y, text, anchor="start", extra=""):
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>{escape(str(text))}</text>'


def _svg(width, height, body, title):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">\n<rect width="100%" height="100%" fill="white"/>\n'
            + _text(width / 2, 20, title, "middle", 'font-weight="bold"') + "\n" + "\n".join(body) + "\n</svg>\n")


def _legend(names, x, y):
    body = []
    for i, name in enumerate(names):
        body.append(f'<rect x="{x}" y="{y + 16 * i - 9}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        body.append(_text(x + 14, y + 16 * i, name))
    return body


def line_chart(title, x_label, y_label, series):
    """series: {name: [(x, y), ...]}; y axis from 0."""
    width, height = 640, 360
    left, right, top, bottom = 70, 180, 40, 50
    points = [p for values in series.values() for p in values]
    xs = sorted({x for x, _ in points}) or [0, 1]
    x_low, x_high = xs[0], xs[-1] if xs[-1] > xs[0] else xs[0] + 1
    y_ticks = nice_ticks(0, max([y for _, y in points] + [0]))
    y_high = y_ticks[-1]
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x):
        return left + (x - x_low) / (x_high - x_low) * plot_w

    def py(y):
        return top + plot_h - y / y_high * plot_h

    body = [f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="black"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>']
    for y in y_ticks:
        body.append(f'<line x1="{left}" y1="{py(y):.1f}" x2="{left + plot_w}" y2="{py(y):.1f}" stroke="#ddd"/>')
        body.append(_text(left - 6, py(y) + 4, _format(y), "end"))
    for x in xs:
        body.append(_text(px(x), top + plot_h + 16, _format(x), "middle"))
    body.append(_text(left + plot_w / 2, height - 10, x_label, "middle"))
    body.append(_text(16, top + plot_h / 2, y_label, "middle", f'transform="rotate(-90 16 {top + plot_h / 2})"'))
    for i, (name, values) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        values = sorted(values)
        coordinates = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in values)
        body.append(f'<polyline points="{coordinates}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in values:
            body.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
    body += _legend(list(series), left + plot_w + 16, top + 10)
    return _svg(width, height, body, title)


def bar_chart(title, value_label, categories, series, colors=None, percent=False):
    """Horizontal bars: series {name: [value per category]}. colors, if given,
    is one color per category (single-series charts: status colors)."""
    bar_h, gap = 14, 8
    group_h = bar_h * len(series) + gap
    label_w = max([len(c) for c in categories] + [10]) * 7 + 10
    width, left, right, top = label_w + 480, label_w, 30 + (150 if len(series) > 1 else 0), 40
    height = top + group_h * len(categories) + 50
    values = [v for vs in series.values() for v in vs]
    low, high = min(values + [0]), max(values + [0])
    ticks = nice_ticks(low, high) if values else [0, 1]
    low, high = min(ticks[0], low), max(ticks[-1], high)
    plot_w = width - left - right

    def px(v):
        return left + (v - low) / (high - low) * plot_w

    scale = 100 if percent else 1
    unit = "%" if percent else ""
    body = []
    for t in ticks:
        body.append(f'<line x1="{px(t):.1f}" y1="{top}" x2="{px(t):.1f}" y2="{height - 45}" stroke="#ddd"/>')
        body.append(_text(px(t), height - 30, _format(t * scale) + unit, "middle"))
    body.append(f'<line x1="{px(0):.1f}" y1="{top}" x2="{px(0):.1f}" y2="{height - 45}" stroke="black"/>')
    body.append(_text(left + plot_w / 2, height - 10, value_label, "middle"))
    for c, category in enumerate(categories):
        y0 = top + c * group_h
        body.append(_text(left - 6, y0 + group_h / 2, category, "end"))
        for s, (name, vs) in enumerate(series.items()):
            v = vs[c]
            color = colors[c] if colors else PALETTE[s % len(PALETTE)]
            x = min(px(0), px(v))
            body.append(f'<rect x="{x:.1f}" y="{y0 + s * bar_h:.1f}" width="{abs(px(v) - px(0)):.1f}" '
                        f'height="{bar_h - 2}" fill="{color}"><title>{escape(name)}: {_format(v * scale)}{unit}</title></rect>')
    if len(series) > 1:
        body += _legend(list(series), left + plot_w + 16, top + 10)
    return _svg(width, height, body, title)
