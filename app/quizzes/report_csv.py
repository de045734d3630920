"""The report tables as CSV files that open cleanly in Excel and cannot smuggle formulas into it.

UTF-8 with a byte-order mark (Excel otherwise reads accents as Latin-1), headers in the page's
language, numbers with a dot and no thousands separator. Text that starts like a formula
(= + - @, tab, carriage return) gets a leading apostrophe (OWASP's CSV injection advice); numbers
are written as numbers, so a negative gain stays a number.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from flask import Response

from app.quizzes import statistics
from app.quizzes.reports import LearnerResult, PrePostReport

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> str:
    """One cell as text: None empty, numbers plain, text defused if it could start a formula."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, (int, float)):
        return _number(cell)
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_START) else text


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return BOM + out.getvalue()


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "report.csv"
    response = Response(to_csv(header, rows), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe}"'
    response.headers["Cache-Control"] = "no-store"  # learners' results: keep them off shared caches
    return response


# -- the tables ----------------------------------------------------------------------------


def results_rows(results: list[LearnerResult]) -> Iterable[list[object]]:
    for r in results:
        yield [r.trainee.full_name, r.trainee.username, len(r.percents), r.waiting, r.in_progress, r.grade,
               None if r.passed is None else r.passed,
               r.last_submitted.isoformat(timespec="seconds") if r.last_submitted else None]


def prepost_rows(report: PrePostReport) -> Iterable[list[object]]:
    for row in report.rows:
        yield [row.trainee.full_name, row.trainee.username, row.pre, row.post, row.gain, row.normalized_gain]


def item_rows(analysis: statistics.ItemAnalysis, info: dict, label, flag_label) -> Iterable[list[object]]:
    """One row per question, then one per variant when a question has several; ``label`` names a variant."""
    for item in analysis.items:
        for stats in [item, *item.variants]:
            question = info.get(item.key)
            yield [item.key, label(stats.variant) if stats.variant is not None else "",
                   question.qtype if question else "", stats.attempts, stats.facility, stats.sd,
                   stats.discrimination, stats.efficiency, "; ".join(flag_label(f) for f in stats.flags)]


def response_rows(distributions: list[statistics.ResponseDistribution], label, option_label,
                  other: str) -> Iterable[list[object]]:
    for dist in distributions:
        for option in dist.options:
            text = option_label(dist, option)
            share = option.count / dist.responses if dist.responses else None
            yield [dist.key, label(dist.variant), dist.qtype, option.stem or "", text, option.fraction,
                   option.is_right, option.count, share]
        if dist.other:
            yield [dist.key, label(dist.variant), dist.qtype, "", other, None, None, dist.other,
                   dist.other / dist.responses]
