"""The quiz report tables as CSV rows, headers in the page's language; the file format is app/core/csv_files."""
from __future__ import annotations

from collections.abc import Iterable

from app.core.csv_files import csv_response, to_csv  # noqa: F401  (the report views use both)
from app.quizzes import statistics
from app.quizzes.reports import LearnerResult, PrePostReport

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
