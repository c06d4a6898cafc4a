"""SVG charts of a bench run, drawn from its results (no plotting library: plain SVG text).

- `saga.svg`: the saga against the offered rate (the fixed-rate runs and the sustained-rate
  steps): PENDING → CONFIRMED latency p50 and p99 (log scale), and orders CONFIRMED per
  second beside the offered rate (the diagonal: every order offered, confirmed).
- `cpu.svg`: CPU milliseconds per order by process, one stacked bar per run (placement,
  each fixed rate, each step), idle use removed.

`write_charts(report, folder)` writes both next to results.json and returns their paths.
"""

import math
from html import escape
from pathlib import Path

WIDTH, HEIGHT, MARGIN = 460, 300, 56
COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]
NOT_PARTS = ("system_total", "machine", "bench")


def _el(name: str, content: str = "", **attributes) -> str:
    """One SVG element; `_` in attribute names is written `-`, floats with one decimal."""
    written = " ".join(
        f'{key.replace("_", "-")}="{f"{value:.1f}" if isinstance(value, float) else escape(str(value))}"'
        for key, value in attributes.items()
    )
    return f"<{name} {written}>{content}</{name}>" if content else f"<{name} {written}/>"


def _text(x, y, text, *, anchor="middle", size=11, rotate=None) -> str:
    turn = {"transform": f"rotate({rotate} {x:.1f} {y:.1f})"} if rotate else {}
    return _el("text", escape(str(text)), x=float(x), y=float(y), font_size=size, text_anchor=anchor, **turn)


def _ticks(top: float, count: int = 5) -> list[float]:
    step = 10 ** math.floor(math.log10(max(top, 1e-9) / count))
    step *= next(f for f in (1, 2, 5, 10) if top / (step * f) <= count)
    return [step * i for i in range(int(top / step) + 1)]


def _label(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 else f"{value:g}"


class _Panel:
    """One plotting area at (left, 0) with linear x and linear or log y."""

    def __init__(self, left: float, x_top: float, y_top: float, *, log_y: bool = False, y_low: float = 1):
        self.left, self.x_top, self.y_top, self.log_y, self.y_low = left, x_top, y_top, log_y, y_low
        self.plot_w, self.plot_h = WIDTH - MARGIN - 20, HEIGHT - 2 * MARGIN

    def x(self, value: float) -> float:
        return self.left + MARGIN + self.plot_w * value / self.x_top

    def y(self, value: float) -> float:
        if self.log_y:
            span = math.log10(self.y_top) - math.log10(self.y_low)
            share = (math.log10(max(value, self.y_low)) - math.log10(self.y_low)) / span
        else:
            share = value / self.y_top
        return HEIGHT - MARGIN - self.plot_h * share

    def axes(self, title: str, x_label: str, y_label: str) -> list[str]:
        parts = [_text(self.left + MARGIN + self.plot_w / 2, 20, title, size=13)]
        y_values = (
            [10**e for e in range(int(math.log10(self.y_low)), int(math.log10(self.y_top)) + 1)]
            if self.log_y
            else _ticks(self.y_top)
        )
        for value in y_values:
            y = self.y(value)
            parts.append(_el("line", x1=self.x(0), x2=self.x(self.x_top), y1=y, y2=y, stroke="#ddd"))
            parts.append(_text(self.x(0) - 4, y + 4, _label(value), anchor="end", size=10))
        for value in _ticks(self.x_top):
            parts.append(_text(self.x(value), HEIGHT - MARGIN + 14, _label(value), size=10))
        frame = {"x": self.x(0), "y": MARGIN, "width": self.plot_w, "height": self.plot_h}
        parts.append(_el("rect", **frame, fill="none", stroke="#666"))
        parts.append(_text(self.left + MARGIN + self.plot_w / 2, HEIGHT - 16, x_label))
        parts.append(_text(self.left + 14, HEIGHT / 2, y_label, rotate=-90))
        return parts

    def line(self, points: list[tuple[float, float]], colour: str, label: str, row: int) -> list[str]:
        path = " ".join(f"{self.x(x):.1f},{self.y(y):.1f}" for x, y in points)
        dots = [
            f'<circle cx="{self.x(x):.1f}" cy="{self.y(y):.1f}" r="3" fill="{colour}"/>' for x, y in points
        ]
        key_y = MARGIN + 14 + 14 * row
        return [
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>',
            *dots,
            f'<rect x="{self.x(0) + 8:.1f}" y="{key_y - 8}" width="10" height="10" fill="{colour}"/>',
            _text(self.x(0) + 22, key_y + 1, label, anchor="start", size=10),
        ]


def _svg(width: float, height: float, parts: list[str]) -> str:
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n{body}\n</svg>\n'
    )


def saga_runs(report: dict) -> list[dict]:
    """The saga runs at a fixed offered rate (fixed-rate scenario and sustained-rate steps), by rate."""
    scenarios = report.get("scenarios", {})
    runs = [
        run
        for run in (scenarios.get("saga") or {}).values()
        if isinstance(run, dict) and "offered_rate" in run
    ]
    runs += [step for step in (scenarios.get("saga_max") or {}).get("steps", []) if "offered_rate" in step]
    return sorted(runs, key=lambda run: (run["offered_rate"], run["seconds"]))


def saga_chart(report: dict) -> str:
    runs = [run for run in saga_runs(report) if run.get("pending_to_confirmed_p99_ms")]
    if not runs:
        return _svg(WIDTH, 60, [_text(WIDTH / 2, 35, "no saga runs in this report")])
    x_top = max(run["offered_rate"] for run in runs) * 1.1
    slowest = max(100.0, *(run["pending_to_confirmed_p99_ms"] for run in runs))
    latency = _Panel(0, x_top, 10 ** math.ceil(math.log10(slowest)), log_y=True, y_low=1)
    parts = latency.axes("PENDING → CONFIRMED latency", "offered orders/s", "ms (log scale)")
    for row, (name, colour) in enumerate([("p50", COLOURS[0]), ("p99", COLOURS[2])]):
        points = [(run["offered_rate"], run[f"pending_to_confirmed_{name}_ms"]) for run in runs]
        parts += latency.line(points, colour, name, row)
    rates = [(run["offered_rate"], run["confirmed"] / run["seconds"]) for run in runs]
    throughput = _Panel(WIDTH, x_top, max(x_top, max(rate for _, rate in rates) * 1.1))
    parts += throughput.axes("Throughput", "offered orders/s", "CONFIRMED orders/s")
    parts += throughput.line([(0, 0), (x_top, x_top)], "#bbb", "offered", 0)
    parts += throughput.line(rates, COLOURS[4], "confirmed / s", 1)
    return _svg(2 * WIDTH, HEIGHT, parts)


def cpu_rows(report: dict) -> list[tuple[str, dict[str, float]]]:
    """(run label, {process: CPU ms per order}) for placement and every saga run."""
    rows = []
    placement = report.get("scenarios", {}).get("placement") or {}
    if placement.get("cpu_ms_per_order"):
        rows.append(("placement (32 clients)", placement["cpu_ms_per_order"]))
    for run in saga_runs(report):
        if run.get("cpu_ms_per_order"):
            rows.append((f"saga {run['offered_rate']:g}/s, {run['seconds']:g} s", run["cpu_ms_per_order"]))
    return [(label, {k: v for k, v in used.items() if k not in NOT_PARTS and v > 0}) for label, used in rows]


def cpu_chart(report: dict) -> str:
    rows = cpu_rows(report)
    if not rows:
        return _svg(WIDTH, 60, [_text(WIDTH / 2, 35, "no CPU figures in this report")])
    totals: dict[str, float] = {}
    for _, used in rows:
        for name, value in used.items():
            totals[name] = totals.get(name, 0) + value
    named = sorted(totals, key=lambda name: -totals[name])[: len(COLOURS) - 1]
    left, bar, width = 170, 18, 2 * WIDTH
    top = max(sum(used.values()) for _, used in rows)
    scale = (width - left - 30) / top
    height = 70 + len(rows) * (bar + 8) + 40
    parts = [_text(width / 2, 20, "CPU per order by process (ms, idle use removed)", size=13)]
    for index, (label, used) in enumerate(rows):
        y, x = 40 + index * (bar + 8), left
        parts.append(_text(left - 6, y + 13, label, anchor="end", size=10))
        shares = [(name, used.get(name, 0)) for name in named]
        shares.append(("other", sum(v for k, v in used.items() if k not in named)))
        for colour, (name, value) in zip(COLOURS, shares, strict=False):
            if value > 0:
                title = _el("title", escape(f"{name} {value:.1f} ms"))
                parts.append(
                    _el("rect", title, x=float(x), y=y, width=value * scale, height=bar, fill=colour)
                )
                x += value * scale
        parts.append(_text(x + 4, y + 13, f"{sum(used.values()):.1f}", anchor="start", size=10))
    key_y = 40 + len(rows) * (bar + 8) + 16
    for index, name in enumerate([*named, "other"]):
        x = left + (index % 5) * 130
        y = key_y + (index // 5) * 16
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{COLOURS[index]}"/>')
        parts.append(_text(x + 14, y, name, anchor="start", size=10))
    return _svg(width, height + 16 * (len(named) // 5), parts)


def write_charts(report: dict, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in (("saga.svg", saga_chart), ("cpu.svg", cpu_chart)):
        path = folder / name
        path.write_text(draw(report))
        written.append(path)
    return written
