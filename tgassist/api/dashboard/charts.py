"""Small server-side SVG charts (line and bar) for the dashboard: no JavaScript, no CDN.

A chart is drawn from a `Series` list; every point carries a label (shown on hover through the
SVG <title>), axes get a few round ticks, and the whole thing scales to the page width (viewBox).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 240
PAD_L, PAD_R, PAD_T, PAD_B = 48, 12, 14, 54
PALETTE = ("#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2")


@dataclass(frozen=True)
class Series:
    name: str
    points: Sequence[tuple[str, float]]  # (x label, value)


def nice_max(value: float, integral: bool = False) -> float:
    """An axis top of four equal, round steps (1/2/5×10^k each) at or above `value`;
    counts get whole-number steps."""
    if value <= 0:
        return 4.0 if integral else 1.0
    raw = value / 4
    exp = math.floor(math.log10(raw))
    step = next(m * 10**exp for m in (1, 2, 5, 10) if m * 10**exp >= raw)
    if integral:
        step = max(1, math.ceil(step))
    return float(step * 4)


def _fmt(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def _frame(title: str, top: float, labels: Sequence[str]) -> list[str]:
    slot = (WIDTH - PAD_L - PAD_R) / max(1, len(labels))
    crowded = max((len(x) for x in labels), default=0) * 6.2 > slot
    plot_h = HEIGHT - PAD_T - PAD_B
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        value = top * i / 4
        y = PAD_T + plot_h - plot_h * i / 4
        out.append(
            f'<line x1="{PAD_L}" y1="{y:.1f}" x2="{WIDTH - PAD_R}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{_fmt(value)}</text>'
        )
    n = len(labels)
    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = _x(i, n)
        y = HEIGHT - PAD_B + 14
        if crowded and every == 1:  # long names: slanted, ending under their bar
            out.append(
                f'<text x="{x:.1f}" y="{y}" class="tick" text-anchor="end" '
                f'transform="rotate(-20 {x:.1f} {y})">{escape(label[:28])}</text>'
            )
        else:
            out.append(
                f'<text x="{x:.1f}" y="{y + 2}" class="tick" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return out


def _x(i: int, n: int) -> float:
    plot_w = WIDTH - PAD_L - PAD_R
    return PAD_L + (plot_w * (i + 0.5) / n if n else 0)


def _y(value: float, top: float) -> float:
    plot_h = HEIGHT - PAD_T - PAD_B
    return PAD_T + plot_h - plot_h * (value / top if top else 0)


def _legend(series: Sequence[Series]) -> str:
    items = "".join(
        f'<span class="key"><i style="background:{PALETTE[i % len(PALETTE)]}"></i>'
        f"{escape(s.name)}</span>"
        for i, s in enumerate(series)
    )
    return f'<div class="legend">{items}</div>'


def _axes(series: Sequence[Series]) -> tuple[list[str], float] | None:
    """(x labels, axis top) of a chart, or None when there is nothing to draw."""
    labels = [x for x, _ in series[0].points] if series else []
    values = [v for s in series for _, v in s.points]
    if not labels or not any(values):
        return None
    return labels, nice_max(max(values), all(float(v).is_integer() for v in values))


def line_chart(title: str, series: Sequence[Series], empty: str) -> str:
    """Lines over shared x labels (the first series' labels)."""
    axes = _axes(series)
    if axes is None:
        return f'<p class="empty">{escape(empty)}</p>'
    labels, top = axes
    out = _frame(title, top, labels)
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        pts = [(_x(j, len(labels)), _y(v, top)) for j, (_, v) in enumerate(s.points)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), (label, v) in zip(pts, s.points, strict=True):
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(s.name)} · {escape(label)}: {_fmt(v)}</title></circle>"
            )
    out.append("</svg>")
    return "".join(out) + _legend(series)


def bar_chart(title: str, series: Sequence[Series], empty: str) -> str:
    """Grouped bars: one group per x label, one bar per series."""
    axes = _axes(series)
    if axes is None:
        return f'<p class="empty">{escape(empty)}</p>'
    labels, top = axes
    out = _frame(title, top, labels)
    plot_w = WIDTH - PAD_L - PAD_R
    group_w = plot_w / len(labels) * 0.8
    bar_w = group_w / max(1, len(series))
    base = _y(0, top)
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        for j, (label, v) in enumerate(s.points):
            x = _x(j, len(labels)) - group_w / 2 + i * bar_w
            y = _y(v, top)
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(bar_w - 1, 1):.1f}" '
                f'height="{max(base - y, 0):.1f}" fill="{colour}">'
                f"<title>{escape(s.name)} · {escape(label)}: {_fmt(v)}</title></rect>"
            )
    out.append("</svg>")
    return "".join(out) + _legend(series)
