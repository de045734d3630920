"""Small server-rendered SVG charts: no script, no style attribute (strict CSP), a title and a
description for screen readers, and always a table next to them with the same figures."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import count

from markupsafe import Markup, escape

WIDTH_PER_POINT = 96
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 44, 24, 16, 44
_ids = count(1)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def level_chart(points: Sequence[tuple[str, float | None]], title: str, description: str,
                low: int = 1, high: int = 4, number: Callable[[float], str] = _fmt) -> Markup:
    """A line chart of a mean level (between `low` and `high`) per round; a round without a value leaves a gap."""
    n = max(len(points), 1)
    width = LEFT + RIGHT + WIDTH_PER_POINT * n
    plot_h = HEIGHT - TOP - BOTTOM
    chart_id = f"level-chart-{next(_ids)}"

    def x(i: int) -> float:
        return LEFT + WIDTH_PER_POINT * (i + 0.5)

    def y(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    parts = [f'<svg class="chart" viewBox="0 0 {width} {HEIGHT}" width="{width}" height="{HEIGHT}" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
             f'<title id="{chart_id}-title">{escape(title)}</title>',
             f'<desc id="{chart_id}-desc">{escape(description)}</desc>']
    for level in range(low, high + 1):
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y(level):.1f}" '
                     f'y2="{y(level):.1f}"/>')
        parts.append(f'<text class="chart-axis" x="{LEFT - 10}" y="{y(level) + 5:.1f}" '
                     f'text-anchor="end">{level}</text>')
    segment: list[str] = []
    segments = []
    for i, (_label, value) in enumerate(points):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
        else:
            segment.append(f"{x(i):.1f},{y(value):.1f}")
    if segment:
        segments.append(segment)
    for line in segments:
        if len(line) > 1:
            parts.append(f'<polyline class="chart-line" points="{" ".join(line)}"/>')
    for i, (label, value) in enumerate(points):
        parts.append(f'<text class="chart-label" x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 22}" '
                     f'text-anchor="middle">{escape(label)}</text>')
        if value is not None:
            parts.append(f'<circle class="chart-point" cx="{x(i):.1f}" cy="{y(value):.1f}" r="5"/>')
            parts.append(f'<text class="chart-value" x="{x(i):.1f}" y="{y(value) - 10:.1f}" '
                         f'text-anchor="middle">{escape(number(value))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
