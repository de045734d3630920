"""Server-rendered SVG charts for the dashboards and their PDF reports: no script, no style attribute.

Colours, sizes and weights are SVG presentation attributes (allowed by the strict CSP, and the only
styling WeasyPrint applies to an inline <svg>); the classes let app.css adjust them in the browser.
Every chart has a title and a description for screen readers, a table with the same figures
(``table``) and a CSV of the raw numbers (``csv_download``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from babel import Locale
from babel.numbers import parse_pattern
from flask import Response
from flask_babel import get_locale
from markupsafe import Markup, escape

from app.core.csv_files import csv_response
from app.core.i18n import _

KINDS = ("bar", "stacked", "line", "funnel")
# Dark enough for white text on top and for 3:1 against white (WCAG non-text contrast).
PALETTE = ("#0b6e4f", "#8a4b00", "#3b4f9a", "#7a2e5e", "#4a5563", "#a4161a")
INK, MUTED, GRID = "#1d2430", "#4a5563", "#c9d1cd"
FONT = 13
CHAR_W = 7.2  # average advance of a 13 px sans-serif character, for truncation and legend layout
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 24, 48
FUNNEL_ROW, FUNNEL_LABEL, FUNNEL_BAR = 34, 140, 160


@dataclass
class Series:
    label: str
    values: list[float | None]
    colour: str = ""  # a fixed colour (e.g. the competency levels' red to green); else the palette's next


def _colour(series: Series, index: int) -> str:
    return series.colour or PALETTE[index % len(PALETTE)]


@dataclass
class Chart:
    slug: str                 # unique on the page: element ids and the CSV name (<slug>.csv)
    title: str
    description: str          # one or two sentences with the key figures in words (screen readers, the PDF)
    categories: list[str]     # x labels (or bar labels for funnel/horizontal)
    series: list[Series] = field(default_factory=list)
    kind: str = "bar"         # "bar" (grouped vertical), "stacked", "line", "funnel" (horizontal bars)
    unit: str = ""            # "", "%", "h"
    category_header: str = ""  # header of the first column in the table view

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown chart kind {self.kind!r}")

    @property
    def is_empty(self) -> bool:
        return not self.categories or all(v is None for s in self.series for v in s.values)

    # For templates: {{ chart.svg() }}, {% set header, rows = chart.table() %}.
    def svg(self) -> Markup:
        return render_svg(self)

    def table(self) -> tuple[list[str], list[list[str]]]:
        return table(self)


# -- numbers -----------------------------------------------------------------------------------
# The pattern parsed once: Babel's format_decimal parses it at every call (~40 µs, ×hundreds per page).
_ONE_DECIMAL = parse_pattern("#,##0.#")
_FALLBACK_LOCALE = Locale.parse("es")

# Formatted figures by (value, its type, unit, locale): a page repeats the same few (0, 50 %, 100 %) many times.
_FORMATTED: dict[tuple, str] = {}


def format_value(value: float | None, unit: str = "") -> str:
    """A figure as people read it: locale digits, at most one decimal, the unit after it."""
    if value is None:
        return "—"
    locale = get_locale() or _FALLBACK_LOCALE
    key = (value, type(value), unit, str(locale))
    found = _FORMATTED.get(key)
    if found is not None:
        return found
    text = _ONE_DECIMAL.apply(round(value, 1), locale)
    if unit == "%":
        text = f"{text}%"
    elif unit:
        text = f"{text} {unit}"
    if len(_FORMATTED) > 10_000:
        _FORMATTED.clear()
    _FORMATTED[key] = text
    return text


def _share(value: float | None, first: float | None) -> float | None:
    if value is None or not first:
        return None
    return 100.0 * value / first


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _scale(chart: Chart, values: list[float]) -> tuple[float, float, list[float]]:
    """(low, high, ticks) of the value axis: from 0 (or below, for negatives) to a round top."""
    low, high = min([0.0, *values]), max([0.0, *values])
    if chart.unit == "%" and low >= 0 and high <= 100:
        return 0.0, 100.0, [0.0, 25.0, 50.0, 75.0, 100.0]
    if high == low:
        high = low + 1
    step = _nice_step(high - low)
    if all(float(v).is_integer() for v in values):
        step = max(step, 1.0)  # counts: no half-trainee gridlines
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    n = round((high - low) / step)
    return low, high, [low + i * step for i in range(n + 1)]


def _truncate(label: str, width: float) -> str:
    room = max(int(width / CHAR_W), 3)
    return label if len(label) <= room else label[: room - 1].rstrip() + "…"


def _label(x: float, y: float, full: str, shown: str, anchor: str = "middle", cls: str = "chart-label") -> str:
    """A label whose full text is its <title> (a tooltip, and read by screen readers when truncated)."""
    title = f"<title>{escape(full)}</title>" if shown != full else ""
    return (f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{MUTED}" '
            f'font-size="{FONT}">{title}{escape(shown)}</text>')


def _value_text(x: float, y: float, text: str, anchor: str = "middle", fill: str = INK) -> str:
    return (f'<text class="chart-value" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" '
            f'font-size="{FONT}" font-weight="700">{escape(text)}</text>')


# -- rendering ---------------------------------------------------------------------------------

def _legend(chart: Chart, width: float) -> tuple[list[str], float]:
    """Swatches and series names, wrapped in rows to the chart width; none for a single series."""
    if len(chart.series) < 2:
        return [], 0
    parts, x, y = [], LEFT, TOP
    for i, series in enumerate(chart.series):
        item_w = 22 + CHAR_W * len(series.label) + 18
        if x + item_w > width and x > LEFT:
            x, y = LEFT, y + 22
        colour = _colour(series, i)
        parts.append(f'<rect class="chart-swatch chart-s{i % len(PALETTE) + 1}" x="{x}" y="{y - 10}" width="14" '
                     f'height="14" fill="{colour}"/>')
        parts.append(f'<text class="chart-legend" x="{x + 20}" y="{y + 2}" fill="{INK}" '
                     f'font-size="{FONT}">{escape(series.label)}</text>')
        x += item_w
    return parts, y + 30 - TOP


def _open_svg(chart: Chart, width: float, height: float) -> list[str]:
    ident = f"chart-{chart.slug}"
    opening = (f'<svg class="chart chart-{chart.kind}" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
               f'height="{height:.0f}" role="img" aria-labelledby="{ident}-title {ident}-desc" focusable="false" '
               f'font-family="Noto Sans, system-ui, sans-serif">')
    return [opening,
            f'<title id="{ident}-title">{escape(chart.title)}</title>',
            f'<desc id="{ident}-desc">{escape(chart.description)}</desc>']


def _vertical(chart: Chart) -> str:
    """Grouped bars ("bar"), stacked bars ("stacked") or lines ("line") over the categories."""
    n_series = max(len(chart.series), 1)
    if chart.kind == "bar":
        slot = max(72.0, 46.0 * n_series + 20)
    else:
        slot = 72.0
    width = max(LEFT + RIGHT + slot * len(chart.categories), 320.0)
    slot = (width - LEFT - RIGHT) / len(chart.categories)
    legend, legend_h = _legend(chart, width)
    top = TOP + legend_h
    plot_h = HEIGHT - TOP - BOTTOM
    height = HEIGHT + legend_h

    if chart.kind == "stacked":
        totals = [sum(s.values[i] or 0 for s in chart.series) for i in range(len(chart.categories))]
        low, high, ticks = _scale(chart, totals)
    else:
        low, high, ticks = _scale(chart, [v for s in chart.series for v in s.values if v is not None])

    def y(value: float) -> float:
        return top + plot_h * (high - value) / (high - low)

    parts = _open_svg(chart, width, height) + legend
    for tick in ticks:
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{width - RIGHT:.1f}" y1="{y(tick):.1f}" '
                     f'y2="{y(tick):.1f}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text class="chart-axis" x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" '
                     f'fill="{MUTED}" font-size="{FONT}">{escape(format_value(tick, chart.unit))}</text>')
    for i, category in enumerate(chart.categories):
        cx = LEFT + slot * (i + 0.5)
        parts.append(_label(cx, top + plot_h + 20, category, _truncate(category, slot - 6)))

    if chart.kind == "bar":
        bar_w = min(46.0, (slot - 16) / n_series)
        for s, series in enumerate(chart.series):
            colour = _colour(series, s)
            for i, value in enumerate(series.values):
                if value is None:
                    continue
                x = LEFT + slot * i + (slot - bar_w * n_series) / 2 + bar_w * s
                y0, y1 = sorted((y(0), y(value)))
                parts.append(f'<rect class="chart-bar chart-s{s % len(PALETTE) + 1}" x="{x:.1f}" y="{y0:.1f}" '
                             f'width="{bar_w - 2:.1f}" height="{max(y1 - y0, 0.5):.1f}" fill="{colour}">'
                             f'<title>{escape(series.label)}, {escape(chart.categories[i])}: '
                             f'{escape(format_value(value, chart.unit))}</title></rect>')
                label_y = y(value) - 5 if value >= 0 else y(value) + FONT + 2
                parts.append(_value_text(x + (bar_w - 2) / 2, label_y, format_value(value, chart.unit)))
    elif chart.kind == "stacked":
        bar_w = min(48.0, slot - 16)
        for i in range(len(chart.categories)):
            x = LEFT + slot * i + (slot - bar_w) / 2
            base = 0.0
            for s, series in enumerate(chart.series):
                value = series.values[i]
                if not value:
                    continue
                colour = _colour(series, s)
                y_top, y_bottom = y(base + value), y(base)
                parts.append(f'<rect class="chart-bar chart-s{s % len(PALETTE) + 1}" x="{x:.1f}" y="{y_top:.1f}" '
                             f'width="{bar_w:.1f}" height="{y_bottom - y_top:.1f}" fill="{colour}">'
                             f'<title>{escape(series.label)}, {escape(chart.categories[i])}: '
                             f'{escape(format_value(value, chart.unit))}</title></rect>')
                if y_bottom - y_top >= FONT + 4:
                    parts.append(_value_text(x + bar_w / 2, (y_top + y_bottom) / 2 + FONT / 2 - 2,
                                             format_value(value, chart.unit), fill="#fff"))
                base += value
    else:
        for s, series in enumerate(chart.series):
            colour = _colour(series, s)
            runs: list[list[str]] = [[]]
            for i, value in enumerate(series.values):
                if value is None:
                    runs.append([])
                else:
                    runs[-1].append(f"{LEFT + slot * (i + 0.5):.1f},{y(value):.1f}")
            for run in runs:
                if len(run) > 1:
                    parts.append(f'<polyline class="chart-line chart-s{s % len(PALETTE) + 1}" fill="none" '
                                 f'stroke="{colour}" stroke-width="3" points="{" ".join(run)}"/>')
            for i, value in enumerate(series.values):
                if value is None:
                    continue
                cx = LEFT + slot * (i + 0.5)
                parts.append(f'<circle class="chart-point chart-s{s % len(PALETTE) + 1}" cx="{cx:.1f}" '
                             f'cy="{y(value):.1f}" r="4.5" fill="{colour}"><title>{escape(series.label)}, '
                             f'{escape(chart.categories[i])}: {escape(format_value(value, chart.unit))}</title>'
                             f'</circle>')
                if len(chart.series) == 1:  # several lines' labels would collide: their points carry a <title>
                    parts.append(_value_text(cx, y(value) - 9, format_value(value, chart.unit)))
    parts.append(f'<line class="chart-baseline" x1="{LEFT}" x2="{width - RIGHT:.1f}" y1="{y(max(low, 0)):.1f}" '
                 f'y2="{y(max(low, 0)):.1f}" stroke="{MUTED}" stroke-width="1"/>')
    parts.append("</svg>")
    return "".join(parts)


def _funnel(chart: Chart) -> str:
    """Horizontal bars of the first series, in the given order (a funnel's stages), with the share of the first."""
    values = chart.series[0].values if chart.series else []
    first = values[0] if values else None
    top_value = max([v for v in values if v is not None] or [1]) or 1
    width = LEFT / 2 + FUNNEL_LABEL + FUNNEL_BAR + 96
    height = TOP * 2 + FUNNEL_ROW * len(chart.categories)
    parts = _open_svg(chart, width, height)
    x0 = LEFT / 2 + FUNNEL_LABEL
    colour = PALETTE[0]
    for i, category in enumerate(chart.categories):
        value = values[i] if i < len(values) else None
        y = TOP + FUNNEL_ROW * i
        parts.append(_label(x0 - 8, y + FUNNEL_ROW / 2 + 4, category, _truncate(category, FUNNEL_LABEL - 8),
                            anchor="end"))
        if value is None:
            parts.append(_value_text(x0 + 4, y + FUNNEL_ROW / 2 + 4, "—", anchor="start"))
            continue
        bar = FUNNEL_BAR * value / top_value
        parts.append(f'<rect class="chart-bar chart-s1" x="{x0:.1f}" y="{y + 4:.1f}" width="{max(bar, 1):.1f}" '
                     f'height="{FUNNEL_ROW - 8}" fill="{colour}"><title>{escape(category)}: '
                     f'{escape(format_value(value, chart.unit))}</title></rect>')
        text = format_value(value, chart.unit)
        share = _share(value, first)
        if share is not None and i > 0:
            text += f" ({format_value(share, '%')})"
        parts.append(_value_text(x0 + bar + 6, y + FUNNEL_ROW / 2 + 4, text, anchor="start"))
    parts.append("</svg>")
    return "".join(parts)


def render_svg(chart: Chart) -> Markup:
    """The chart as inline SVG, or a short "No data yet" paragraph when there is nothing to draw."""
    if chart.is_empty:
        return Markup('<p class="chart-empty">{}</p>').format(_("No data yet."))
    return Markup(_funnel(chart) if chart.kind == "funnel" else _vertical(chart))


# -- the same figures as a table and as CSV ------------------------------------------------------

def _header(chart: Chart) -> list[str]:
    header = [chart.category_header or _("Category"), *[s.label for s in chart.series]]
    if chart.kind == "funnel" and chart.categories:
        header.append(_("Share of “%(stage)s”", stage=chart.categories[0]))
    return header


def _raw_rows(chart: Chart) -> list[list[float | str | None]]:
    rows: list[list[float | str | None]] = []
    first = chart.series[0].values[0] if chart.series and chart.series[0].values else None
    for i, category in enumerate(chart.categories):
        row: list[float | str | None] = [category]
        row += [s.values[i] if i < len(s.values) else None for s in chart.series]
        if chart.kind == "funnel" and chart.series:
            share = _share(chart.series[0].values[i], first)
            row.append(None if share is None else round(share, 1))
        rows.append(row)
    return rows


def table(chart: Chart) -> tuple[list[str], list[list[str]]]:
    """Header row and rows with formatted numbers ("—" for no value): the "show as table" view."""
    rows = []
    for raw in _raw_rows(chart):
        cells = [str(raw[0])]
        for j, value in enumerate(raw[1:], start=1):
            unit = "%" if chart.kind == "funnel" and j > len(chart.series) else chart.unit
            cells.append(format_value(value, unit))  # type: ignore[arg-type]
        rows.append(cells)
    return _header(chart), rows


def csv_download(chart: Chart, filename: str) -> Response:
    """The chart's figures as a CSV download: raw numbers, empty cells for no value."""
    return csv_response(filename, _header(chart), _raw_rows(chart))
