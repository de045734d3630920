"""The organisation dashboard's charts, key figures and definitions, and a small cache of them.

An organisation's figures change only when its facts are refreshed: they are a function of the
snapshot (its ``refreshed_at``) and the filters. So each worker process keeps the last figures and
the charts drawn from them (SVG and table, per language) and a page view that finds them only
renders the page around them. A refresh gives the snapshot a new time, and so new entries.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any

from markupsafe import Markup

from app.core.i18n import _, _l
from app.dashboards.charts import Chart, Series, format_value
from app.dashboards.models import CompetencyStage, DashboardSnapshot
from app.dashboards.organisation import EXPIRING_DAYS, LEVELS, Figures, Filters, compute
from app.practice.forms import INTERVENTION_LABELS
from app.practice.models import Intervention


def month_label(month: date) -> str:
    return month.strftime("%Y-%m")


def key_figures(figures: Figures) -> list[tuple[str, str, float | None, str]]:
    """(slug, label, value, unit) of the key figures, in the order the page and the report show them."""
    return [
        ("enrolled", _("Enrolled in the period"), figures.enrolled, ""),
        ("trained", _("Trained in the period"), figures.trained, ""),
        ("certified", _("Certified in the period"), figures.certified, ""),
        ("valid", _("Certificate valid today"), figures.valid, ""),
        ("expiring", _("Certificate expiring within %(days)d days", days=EXPIRING_DAYS), figures.expiring, ""),
        ("hours", _("Supervision hours per supervisee per month"), _rounded(figures.hours_per_supervisee), "h"),
        ("cases", _("Practice cases started"), figures.practice_cases, ""),
        ("harm-pre", _("Trainees with a harmful behaviour, before training"),
         _rounded(figures.harmed_share(CompetencyStage.PRE)), "%"),
        ("harm-post", _("Trainees with a harmful behaviour, after training"),
         _rounded(figures.harmed_share(CompetencyStage.POST)), "%"),
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


STAGE_LABELS = {CompetencyStage.PRE: _l("Before training"), CompetencyStage.POST: _l("After training")}


def charts(figures: Figures, site_names: dict[int, str]) -> list[Chart]:
    """Every chart of the page, in page order; each also gives its table and its CSV."""
    return [_by_site(figures, site_names), _levels(figures), _harm(figures), _supervision(figures),
            _practice(figures), _trend_people(figures), _trend_activity(figures)]


def key_figures_chart(figures: Figures) -> Chart:
    """The key figures as a one-series chart: the CSV behind the figures at the top of the page."""
    rows = key_figures(figures)
    return Chart("key-figures", _("Key figures"), _("The key figures for the chosen filters."),
                 [f"{label} ({unit})" if unit else label for _slug, label, _value, unit in rows],
                 [Series(_("Value"), [value for _slug, _label, value, _unit in rows])],
                 category_header=_("Figure"))


def chart_by_slug(figures: Figures, site_names: dict[int, str], slug: str) -> Chart | None:
    if slug == "key-figures":
        return key_figures_chart(figures)
    return next((chart for chart in charts(figures, site_names) if chart.slug == slug), None)


def _by_site(figures: Figures, site_names: dict[int, str]) -> Chart:
    order = sorted(figures.by_site, key=lambda site_id: (site_id is None, site_names.get(site_id, "").lower()))
    labels = [site_names.get(site_id, _("Unknown site")) if site_id is not None else _("No site")
              for site_id in order]
    trained, certified, valid = ([figures.by_site[site_id][i] for site_id in order] for i in range(3))
    return Chart("by-site", _("Trained, certified and valid by site"),
                 _("Trainees trained and certified in the period, and trainees whose certificate is valid today, "
                   "by the site in their profile. In all: %(trained)d trained, %(certified)d certified, "
                   "%(valid)d valid today.", trained=figures.trained, certified=figures.certified, valid=figures.valid),
                 labels, [Series(_("Trained"), trained), Series(_("Certified"), certified),
                          Series(_("Valid today"), valid)],
                 kind="bar", category_header=_("Site"))


def _levels(figures: Figures) -> Chart:
    stages = list(STAGE_LABELS)
    totals = {stage: sum(figures.levels.get(stage, [])) for stage in stages}
    return Chart("levels", _("Skill levels before and after training"),
                 _("Share of item ratings at each level in pre-training and post-training assessments: "
                   "%(pre)d ratings before, %(post)d after. Level 1 means a harmful behaviour was seen.",
                   pre=totals[CompetencyStage.PRE], post=totals[CompetencyStage.POST]),
                 [str(STAGE_LABELS[stage]) for stage in stages],
                 [Series(_("Level %(level)d", level=level), [_rounded(figures.level_share(stage, level))
                                                             for stage in stages]) for level in LEVELS],
                 kind="stacked", unit="%", category_header=_("Stage"))


def _harm(figures: Figures) -> Chart:
    stages = list(STAGE_LABELS)
    pre, post = (figures.harmed_share(stage) for stage in stages)
    return Chart("harm", _("Trainees with a harmful behaviour"),
                 _("Share of assessed trainees with at least one item at level 1: %(pre)s before training "
                   "(%(pre_n)d of %(pre_total)d), %(post)s after (%(post_n)d of %(post_total)d).",
                   pre=format_value(pre, "%"), post=format_value(post, "%"),
                   pre_n=figures.harmed.get(CompetencyStage.PRE, 0),
                   pre_total=figures.assessed.get(CompetencyStage.PRE, 0),
                   post_n=figures.harmed.get(CompetencyStage.POST, 0),
                   post_total=figures.assessed.get(CompetencyStage.POST, 0)),
                 [str(STAGE_LABELS[stage]) for stage in stages],
                 [Series(_("Trainees with a harmful behaviour"), [_rounded(pre), _rounded(post)])],
                 kind="bar", unit="%", category_header=_("Stage"))


def _supervision(figures: Figures) -> Chart:
    months = figures.filters.months
    values = []
    for month in months:
        people = figures.supervisees_by_month.get(month, 0)
        values.append(_rounded(figures.minutes_by_month.get(month, 0) / 60 / people) if people else None)
    return Chart("supervision", _("Supervision hours per supervisee per month"),
                 _("Hours of supervision received in the month divided by the trainees who received any. "
                   "Over the period: %(hours)s per supervisee per month.",
                   hours=format_value(figures.hours_per_supervisee, "h")),
                 [month_label(m) for m in months],
                 [Series(_("Hours per supervisee"), values)],
                 kind="line", unit="h", category_header=_("Month"))


def _practice(figures: Figures) -> Chart:
    interventions = list(Intervention)
    cases = [figures.practice.get(i, (0, 0))[0] for i in interventions]
    sessions = [figures.practice.get(i, (0, 0))[1] for i in interventions]
    return Chart("practice", _("Practice delivered by intervention"),
                 _("Verified practice in the period: %(cases)d cases started and %(sessions)d sessions delivered.",
                   cases=sum(cases), sessions=sum(sessions)),
                 [str(INTERVENTION_LABELS[i]) for i in interventions],
                 [Series(_("Cases started"), cases), Series(_("Sessions delivered"), sessions)],
                 kind="bar", category_header=_("Intervention"))


def _trend_people(figures: Figures) -> Chart:
    months = figures.filters.months
    return Chart("trend-people", _("Trained and certified by month"),
                 _("Trainees who finished a course's lessons, and trainees who got a certificate, in each month."),
                 [month_label(m) for m in months],
                 [Series(_("Trained"), [figures.trained_by_month.get(m, 0) for m in months]),
                  Series(_("Certified"), [figures.certified_by_month.get(m, 0) for m in months])],
                 kind="line", category_header=_("Month"))


def _trend_activity(figures: Figures) -> Chart:
    months = figures.filters.months
    return Chart("trend-activity", _("Supervision hours and practice cases by month"),
                 _("Hours of supervision trainees received, and practice cases started, in each month."),
                 [month_label(m) for m in months],
                 [Series(_("Supervision hours"), [_rounded(figures.minutes_by_month.get(m, 0) / 60) for m in months]),
                  Series(_("Practice cases started"), [figures.cases_by_month.get(m, 0) for m in months])],
                 kind="line", category_header=_("Month"))


def definitions() -> list[tuple[str, str]]:
    """How each figure is counted, word for word on the page and in the report."""
    return [
        (_("Filters"), _("A site chooses trainees by the site in their profile. A course or a cohort chooses "
                         "trainees enrolled in it; supervision, practice and skills figures then count those "
                         "trainees' records. The period is a range of whole months in the organisation's time zone.")),
        (_("Enrolled"), _("A trainee of a cohort that was given a course. Counted in the month they joined the "
                          "cohort or the cohort got the course, whichever came later.")),
        (_("Trained"), _("Enrolled and finished every lesson of the course. Counted in the month of the last "
                         "lesson.")),
        (_("Certified"), _("Holds a certificate for the course that is not revoked. Counted in the month of the "
                           "first one.")),
        (_("Valid today"), _("Holds a certificate for the course that is not revoked and had not expired when "
                             "the figures were computed (the time at the top of the page), whatever the period.")),
        (_("Expiring"), _("Valid today and expires within %(days)d days of that time, unless a later certificate "
                          "replaces it.", days=EXPIRING_DAYS)),
        (_("Trainees"), _("Each figure counts people, not enrolments: a person in two courses counts once.")),
        (_("Skill levels"), _("Every item rating with a level in submitted assessments (corrected ones replaced) "
                              "at the pre-training stage (before) and the post-training stage (after), by the "
                              "month the performance was observed. Level 1: a harmful behaviour seen; level 2: "
                              "not all basic behaviours; level 3: all basic behaviours; level 4: all basic and "
                              "an advanced one. Items not observed are left out.")),
        (_("Harmful behaviour"), _("The share of trainees assessed at that stage in the period with at least one "
                                   "item at level 1.")),
        (_("Supervision hours per supervisee per month"),
         _("Minutes of submitted supervision sessions each trainee attended, in hours, divided by the number of "
           "trainees who attended any session that month. A group session counts for each person in it. Over "
           "the period: all hours divided by all pairs of a supervisee and a month.")),
        (_("Practice cases"), _("A case (one client, one intervention) counts once, in the month of its first "
                                "session verified by a supervisor. Sessions delivered count every verified "
                                "session by the date it was delivered.")),
        (_("Freshness"), _("The figures are computed ahead of time, not at each visit: the top of the page says "
                           "when. Figures older than %(minutes)d minutes are computed again.",
                           minutes=_max_age_minutes())),
    ]


def _max_age_minutes() -> int:
    from app.dashboards.facts import max_age

    return int(max_age().total_seconds() // 60)


# -- the cache ------------------------------------------------------------------------------------

class RenderedChart:
    """A chart with its SVG and its table drawn once: what ``chart_block`` and ``chart_print`` read."""

    def __init__(self, chart: Chart) -> None:
        self.chart = chart
        self.slug, self.title, self.description = chart.slug, chart.title, chart.description
        self.is_empty = chart.is_empty
        self._svg = chart.svg()
        self._table = chart.table()

    def svg(self) -> Markup:
        return self._svg

    def table(self) -> tuple[list[str], list[list[str]]]:
        return self._table


class _Recent:
    """The last ``size`` values by key, for one process (gunicorn's sync workers and their threads)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: OrderedDict[Any, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.values:
                self.values.move_to_end(key)
                return self.values[key]
        value = make()
        with self.lock:
            self.values[key] = value
            while len(self.values) > self.size:
                self.values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.values.clear()


_figures = _Recent(128)
_charts = _Recent(32)


def figures_of(snapshot: DashboardSnapshot, filters: Filters) -> Figures:
    """The figures for these filters as of the snapshot (valid and expiring: at the snapshot's time)."""
    return _figures.get((filters, snapshot.refreshed_at),
                        lambda: compute(filters, snapshot.refreshed_at))


def rendered_charts(snapshot: DashboardSnapshot, figures: Figures, site_names: dict[int, str],
                    language: str) -> dict[str, RenderedChart]:
    """Every chart of the page, drawn, by slug (in page order)."""
    return _charts.get((figures.filters, snapshot.refreshed_at, language, tuple(sorted(site_names.items()))),
                       lambda: {chart.slug: RenderedChart(chart) for chart in charts(figures, site_names)})


_pages = _Recent(32)


def figures_html(snapshot: DashboardSnapshot, figures: Figures, query: dict[str, str], language: str,
                 render: Callable[[], str]) -> Markup:
    """The page's figures as HTML (``render`` draws them), kept per snapshot, filters, links and language."""
    key = (figures.filters, snapshot.refreshed_at, language, tuple(sorted(query.items())))
    return _pages.get(key, lambda: Markup(render()))


_reports = _Recent(8)


def report_pdf(snapshot: DashboardSnapshot, figures: Figures, language: str, organisation_name: str,
               render: Callable[[], bytes]) -> bytes:
    """The printable report (``render`` makes it), kept per snapshot, filters and language: it takes
    seconds to lay out at national scale, and it says nothing a newer snapshot would not change."""
    return _reports.get((figures.filters, snapshot.refreshed_at, language, organisation_name), render)
