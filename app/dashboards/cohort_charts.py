"""The cohort dashboard's charts and tables, in words: each is a Chart (SVG, table, CSV) or a plain table.

Every chart's description states its key figures in a sentence, for screen readers and the PDF.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale

from app.competencies.feedback import STAGE_LABELS
from app.competencies.models import AssessmentStage
from app.core.i18n import _, format_date, format_decimal, ngettext
from app.dashboards.charts import Chart, Series, format_value
from app.dashboards.cohort import CertificateStatus, CohortFigures

TABLE_SLUGS = ("trainees", "harm-flags")
# Red to green as in the heat map, dark enough for white figures on them; grey for not observed.
LEVEL_COLOURS = {1: "#a4161a", 2: "#8a4b00", 3: "#2e7d4f", 4: "#074d37", None: "#4a5563"}
CHART_SLUGS = ("funnel", "attendance", "knowledge", "levels", "harm-rounds", "supervision", "certificates")


def language() -> str:
    return str(get_locale() or "es")[:2]


def text(values: dict[str, str] | None) -> str:
    """Content in the reader's language, else Spanish, else whatever there is."""
    values = values or {}
    return values.get(language()) or values.get("es") or next(iter(values.values()), "")


def percent(share: float | None) -> float | None:
    """A 0..1 share as a 0..100 figure (the charts' "%" unit)."""
    return None if share is None else share * 100


def num(value: float | None, digits: int = 1) -> str:
    """A figure with at most ``digits`` decimals, "—" when there is none."""
    if value is None:
        return "—"
    return format_decimal(round(value, digits), format="#,##0." + "#" * digits)


def hours(minutes: int) -> float:
    return minutes / 60


def certificate_labels() -> dict[str, str]:
    return {
        CertificateStatus.VALID: _("Valid"),
        CertificateStatus.EXPIRING: _("Expiring within 60 days"),
        CertificateStatus.EXPIRED: _("Expired"),
        CertificateStatus.REVOKED: _("Revoked"),
        CertificateStatus.NONE: _("No certificate"),
    }


def stage_label(stage: str) -> str:
    return str(STAGE_LABELS[AssessmentStage(stage)])


def level_label(level: int | None) -> str:
    return _("Level %(level)d", level=level) if level is not None else _("Not observed")


# -- charts ------------------------------------------------------------------------------------

def _funnel(f: CohortFigures) -> Chart:
    n = f.funnel
    return Chart(
        "funnel", _("From enrolment to certificate"),
        _("Of %(enrolled)d enrolled trainees, %(lessons)d finished every lesson, %(passed)d passed the post-test, "
          "%(competent)d are competent and %(certified)d are certified.", enrolled=n.enrolled, lessons=n.lessons_done,
          passed=n.post_test_passed, competent=n.competent, certified=n.certified),
        [_("Enrolled"), _("Finished every lesson"), _("Passed the post-test"), _("Competent"), _("Certified")],
        [Series(_("Trainees"), [n.enrolled, n.lessons_done, n.post_test_passed, n.competent, n.certified])]
        if n.enrolled else [],
        kind="funnel", category_header=_("Step"))


def _attendance(f: CohortFigures) -> Chart:
    held = len(f.days)
    if held:
        description = ngettext(
            "%(num)d training day held. Mean attendance of the trainees: %(mean)s.",
            "%(num)d training days held. Mean attendance of the trainees: %(mean)s.", held,
            mean=format_value(percent(f.mean_attendance), "%"))
    else:
        description = _("No training day has been held yet.")
    return Chart("attendance", _("Attendance per training day"), description,
                 [format_date(d.day.held_on, "medium") for d in f.days],
                 [Series(_("Present"), [percent(d.rate) for d in f.days])], unit="%",
                 category_header=_("Training day"))


def _knowledge(f: CohortFigures) -> Chart:
    k = f.knowledge
    c = k.comparison if k else None
    if c is None or not c.paired:
        return Chart("knowledge", _("Knowledge before and after"),
                     _("No trainee has both a pre-test and a post-test grade yet."), [], [], unit="%")
    description = ngettext(
        "%(num)d trainee took both tests: mean %(pre)s before, %(post)s after, a gain of %(gain)s points.",
        "%(num)d trainees took both tests: mean %(pre)s before, %(post)s after, a gain of %(gain)s points.",
        c.paired, pre=format_value(c.mean_pre, "%"), post=format_value(c.mean_post, "%"),
        gain=format_value(c.mean_gain))
    return Chart("knowledge", _("Knowledge before and after"), description, [_("Pre-test"), _("Post-test")],
                 [Series(_("Mean grade"), [c.mean_pre, c.mean_post])], unit="%", category_header=_("Test"))


def _levels(f: CohortFigures) -> Chart:
    comp = f.competency
    stages = comp.stages
    parts = []
    for stage in stages:
        counts = comp.levels[stage]
        rated = sum(n for level, n in counts.items() if level is not None)
        good = sum(n for level, n in counts.items() if level is not None and level >= 3)
        if rated:
            parts.append(_("%(round)s: %(share)s of item ratings at level 3 or above",
                           round=stage_label(stage), share=format_value(100 * good / rated, "%")))
    tool = text(comp.tool.name) if comp.tool else ""
    description = ("; ".join(parts) + ".") if parts else _("No assessment has been submitted yet.")
    return Chart("levels", _("Competency levels per round: %(tool)s", tool=tool) if tool else _("Competency levels"),
                 description, [stage_label(s) for s in stages],
                 [Series(level_label(level), [comp.levels[s][level] for s in stages], LEVEL_COLOURS[level])
                  for level in (1, 2, 3, 4, None)],
                 kind="stacked", category_header=_("Round"))


def _harm_rounds(f: CohortFigures) -> Chart:
    comp = f.competency
    stages = comp.stages
    counts = [len(comp.harmful.get(s, [])) for s in stages]
    parts = [_("%(round)s: %(count)d of %(assessed)d", round=stage_label(s), count=n, assessed=comp.assessed.get(s, 0))
             for s, n in zip(stages, counts)]
    description = (_("Trainees with at least one harmful behaviour in their latest assessment of the round. ")
                   + "; ".join(parts) + ".") if stages else _("No assessment has been submitted yet.")
    return Chart("harm-rounds", _("Trainees with harmful behaviour per round"), description,
                 [stage_label(s) for s in stages],
                 [Series(_("Trainees with harmful behaviour"), counts), Series(_("Trainees assessed"),
                                                                               [comp.assessed.get(s, 0) for s in stages])],
                 category_header=_("Round"))


def _supervision(f: CohortFigures) -> Chart:
    s = f.supervision
    description = _("%(assigned)d of %(enrolled)d trainees have a supervisor; %(recent)d had a supervision session in the "
                    "last %(days)d days (%(hours)s hours in all, %(total)s hours since they started).",
                    recent=s.supervised_recently, enrolled=s.enrolled, days=s.days,
                    hours=format_value(hours(s.minutes_recent)), total=format_value(hours(s.minutes_total)),
                    assigned=s.with_supervisor)
    return Chart("supervision", _("Supervision coverage"), description,
                 [_("Enrolled"), _("With a current supervisor"),
                  _("Supervised in the last %(days)d days", days=s.days)],
                 [Series(_("Trainees"), [s.enrolled, s.with_supervisor, s.supervised_recently])] if s.enrolled else [],
                 kind="funnel", category_header=_("Trainees"))


def _certificates(f: CohortFigures) -> Chart:
    labels = certificate_labels()
    counts = f.certificates
    description = _("Each trainee's latest certificate for this course: %(valid)d valid, %(expiring)d expiring within "
                    "60 days, %(expired)d expired, %(revoked)d revoked; %(none)d without a certificate.",
                    valid=counts[CertificateStatus.VALID], expiring=counts[CertificateStatus.EXPIRING],
                    expired=counts[CertificateStatus.EXPIRED], revoked=counts[CertificateStatus.REVOKED],
                    none=counts[CertificateStatus.NONE])
    return Chart("certificates", _("Certificates"), description, [labels[s] for s in CertificateStatus.ORDER],
                 [Series(_("Trainees"), [counts[s] for s in CertificateStatus.ORDER])] if f.enrolled else [],
                 category_header=_("Status"))


BUILDERS: dict[str, Callable[[CohortFigures], Chart]] = {
    "funnel": _funnel, "attendance": _attendance, "knowledge": _knowledge, "levels": _levels,
    "harm-rounds": _harm_rounds, "supervision": _supervision, "certificates": _certificates,
}


def cohort_charts(f: CohortFigures) -> dict[str, Chart]:
    return {slug: BUILDERS[slug](f) for slug in CHART_SLUGS}


# -- tables ------------------------------------------------------------------------------------

@dataclass
class Table:
    slug: str
    title: str
    header: list[str]
    rows: list[list[Any]]        # raw values, for the CSV
    shown: list[list[str]]       # formatted, for the page and the PDF


def _yes_no(value: bool | None) -> str:
    return "—" if value is None else (_("Yes") if value else _("No"))


def trainee_table(f: CohortFigures) -> Table:
    labels = certificate_labels()
    header = [_("Trainee"), _("Lessons done"), _("Attendance (%)"), _("Pre-test (%)"), _("Post-test (%)"),
              _("Passed the post-test"), _("Competent"), _("Certificate"), _("Open harm flags"),
              _("Supervision hours, last %(days)d days", days=f.supervision.days), _("Supervision hours in all")]
    rows, shown = [], []
    for r in f.trainees:
        rows.append([r.trainee.full_name, r.lessons_done, percent(r.attendance), r.pre, r.post, r.passed, r.competent,
                     labels[r.certificate], r.open_flags, round(hours(r.minutes_recent), 2),
                     round(hours(r.minutes_total), 2)])
        shown.append([r.trainee.full_name, _("%(done)d of %(total)d", done=r.lessons_done, total=f.lessons_total),
                      format_value(percent(r.attendance), "%"), format_value(r.pre, "%"), format_value(r.post, "%"),
                      _yes_no(r.passed), _yes_no(r.competent), labels[r.certificate], str(r.open_flags),
                      format_value(hours(r.minutes_recent)), format_value(hours(r.minutes_total))])
    return Table("trainees", _("Trainees"), header, rows, shown)


def harm_flag_table(f: CohortFigures) -> Table:
    header = [_("Trainee"), _("Competency tool"), _("Item"), _("Raised on")]
    rows, shown = [], []
    for flag in f.harm_flags:
        item = f"{flag.item_code} {text(flag.item_title)}".strip()
        tool = text(flag.tool_name)
        rows.append([flag.trainee_name, tool, item, flag.raised_at.date().isoformat()])
        shown.append([flag.trainee_name, tool, item, format_date(flag.raised_at, "medium")])
    return Table("harm-flags", _("Open harm flags"), header, rows, shown)


def cohort_tables(f: CohortFigures) -> dict[str, Table]:
    return {"trainees": trainee_table(f), "harm-flags": harm_flag_table(f)}
