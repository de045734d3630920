"""The cohort dashboard: its page, one CSV per chart or table, and the printable report.

Another organisation's cohort answers 404; a person of the organisation who may not see the
dashboard (a supervisor, a trainee, a trainer of another cohort) gets 403.
"""
from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_login import current_user, login_required

from app.certificates.evaluator import stage_label as round_in_words
from app.core.csv_files import csv_response
from app.core.db import utcnow
from app.core.i18n import _
from app.core.page_cache import cached_page
from app.core.permissions import (
    authorize,
    can_manage_cohort,
    can_view_cohort,
    can_view_cohort_competencies,
    can_view_cohort_dashboard,
    can_view_quiz_results,
    is_same_organisation,
)
from app.courses.models import Course
from app.dashboards import cohort as figures_module
from app.dashboards.blueprint import bp
from app.dashboards.charts import csv_download
from app.dashboards.cohort_charts import (
    CHART_SLUGS,
    TABLE_SLUGS,
    cohort_charts,
    cohort_tables,
    num,
    stage_label,
    text,
)
from app.dashboards.pdf import render_report_pdf
from app.extensions import db
from app.orgs.models import Cohort
from app.training.queries import local_today


def _load(cohort_id: int) -> tuple[Cohort, Course | None, list[Course]]:
    """The cohort (404 outside the organisation, 403 without the right) and the course chosen by ?course=."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not is_same_organisation(current_user, cohort):
        abort(404)
    authorize(can_view_cohort_dashboard(current_user, cohort))
    courses = figures_module.cohort_courses(cohort)
    wanted = request.args.get("course")
    if wanted:
        course = next((c for c in courses if c.slug == wanted), None)
        if course is None:
            abort(404)
    else:
        course = courses[0] if courses else None
    return cohort, course, courses


def _figures(cohort_id: int, slug: str | None = None) -> figures_module.CohortFigures:
    """Authorize first, then answer 404 for an unknown chart or table, then compute."""
    cohort, course, courses = _load(cohort_id)
    if slug is not None and slug not in CHART_SLUGS + TABLE_SLUGS:
        abort(404)
    return figures_module.cohort_figures(cohort, course, courses, utcnow(), local_today())


def _context(figures: figures_module.CohortFigures) -> dict:
    return {"f": figures, "cohort": figures.cohort, "course": figures.course, "charts": cohort_charts(figures),
            "tables": cohort_tables(figures), "text": text, "num": num, "stage_label": stage_label,
            "round_in_words": round_in_words,
            "course_args": {"course": figures.course.slug} if figures.course and len(figures.courses) > 1 else {}}


@bp.route("/cohorts/<int:cohort_id>")
@login_required
@cached_page
def cohort_dashboard(cohort_id: int):
    figures = _figures(cohort_id)
    cohort = figures.cohort
    return render_template(
        "dashboards/cohort.html", **_context(figures),
        links={"cohort": can_view_cohort(current_user, cohort),
               "competencies": can_view_cohort_competencies(current_user, cohort),
               "quizzes": can_view_quiz_results(current_user, cohort),
               "flags": can_manage_cohort(current_user, cohort)})


@bp.route("/cohorts/<int:cohort_id>/<chart_slug>.csv")
@login_required
def cohort_csv(cohort_id: int, chart_slug: str) -> Response:
    figures = _figures(cohort_id, chart_slug)
    filename = f"cohort-{figures.cohort.id}-{chart_slug}.csv"
    if chart_slug in TABLE_SLUGS:
        found = cohort_tables(figures)[chart_slug]
        return csv_response(filename, found.header, found.rows)
    return csv_download(cohort_charts(figures)[chart_slug], filename)


@bp.route("/cohorts/<int:cohort_id>/report.pdf")
@login_required
def cohort_report(cohort_id: int) -> Response:
    figures = _figures(cohort_id)
    context = _context(figures)
    pdf = render_report_pdf("dashboards/cohort_report.html", organisation_name=figures.cohort.organisation.name,
                            filters=_report_filters(figures), **context)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="cohort-{figures.cohort.id}-report.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _report_filters(figures: figures_module.CohortFigures) -> list[tuple[str, str]]:
    cohort = figures.cohort
    filters = [(_("Cohort"), cohort.name)]
    if cohort.site is not None:
        filters.append((_("Site"), cohort.site.name))
    filters.append((_("Course"), text(figures.course.title) if figures.course else _("No course yet")))
    return filters
