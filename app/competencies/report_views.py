"""Routes: skills feedback for a trainee, and the cohort's heat map, group progress and CSV export.

Everything here only reads. Another organisation's trainee or cohort answers 404; a person of the
same organisation without the right answers 403. A supervisor sees only their supervisees' rows.
"""
from __future__ import annotations

from flask import Response, abort, render_template, request
from flask_babel import format_decimal, format_percent, get_locale
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField

from app.auth.models import User
from app.competencies import charts, queries, report_csv
from app.competencies.blueprint import bp
from app.competencies.feedback import METHOD_LABELS, STAGE_LABELS, ToolFeedback, trainee_feedback
from app.competencies.levels import LEVEL_NAMES
from app.competencies.models import AssessmentStage, CompetencyTool
from app.core.i18n import _, _l
from app.core.permissions import (
    authorize,
    can_view_cohort_calibration,
    can_view_cohort_competencies,
    can_view_feedback,
    is_same_organisation,
    sees_every_cohort_trainee,
)
from app.extensions import db
from app.orgs.models import Cohort


def language() -> str:
    return str(get_locale() or "es")[:2]


def text(values: dict[str, str] | None) -> str:
    """Content in the reader's language, else Spanish, else whatever there is."""
    values = values or {}
    return values.get(language()) or values.get("es") or next(iter(values.values()), "")


def level_name(level: int | None) -> str:
    return LEVEL_NAMES[level][language()] if level is not None else _("Not observed")


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value)


def render(template: str, **context) -> str:
    return render_template(template, text=text, level_name=level_name, percent=percent, number=format_decimal,
                           STAGE_LABELS=STAGE_LABELS, METHOD_LABELS=METHOD_LABELS, **context)


# -- feedback --------------------------------------------------------------------------------

def _chart(tool_feedback: ToolFeedback):
    points = [(str(STAGE_LABELS[r.assessment.stage]), r.mean_level) for r in tool_feedback.rounds]
    title = _("Mean level per round: %(tool)s", tool=text(tool_feedback.tool.name))
    description = "; ".join(
        f"{label}: {format_decimal(round(value, 1)) if value is not None else _('no level')}" for label, value in points)
    return charts.level_chart(points, title, description, number=lambda v: format_decimal(round(v, 1)))


def _feedback_page(trainee: User):
    tools = trainee_feedback(trainee)
    return render("competencies/feedback.html", trainee=trainee, tools=tools, own=trainee.id == current_user.id,
                  charts={t.tool.id: _chart(t) for t in tools if len(t.rounds) > 1})


@bp.route("/competencies/my-feedback")
@login_required
def report_my_feedback():
    return _feedback_page(current_user._get_current_object())


@bp.route("/competencies/people/<int:feedback_user_id>/feedback")
@login_required
def report_feedback(feedback_user_id: int):
    trainee = db.session.get(User, feedback_user_id)
    if trainee is None or not is_same_organisation(current_user, trainee):
        abort(404)
    authorize(can_view_feedback(current_user, trainee))
    return _feedback_page(trainee)


# -- cohort reports --------------------------------------------------------------------------

class ReportFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    tool = SelectField(_l("Competency tool"))
    stage = SelectField(_l("Round"))


def _cohort(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not is_same_organisation(current_user, cohort):
        abort(404)
    authorize(can_view_cohort_competencies(current_user, cohort))
    return cohort


def _filters(cohort: Cohort, preferred_tool_id: int | None = None) -> tuple[ReportFilterForm, CompetencyTool | None, str]:
    """The chosen tool and round (query string), defaulting to the preferred tool or the cohort's latest ratings."""
    tools = queries.tools_for(cohort.organisation_id)
    default_tool, default_stage = queries.default_tool_and_stage(cohort, tools)
    default_tool = next((t for t in tools if t.id == preferred_tool_id), default_tool)
    form = ReportFilterForm(request.args)
    form.stage.choices = [SelectChoice(s.value, label) for s, label in STAGE_LABELS.items()]
    form.tool.choices = [SelectChoice(t.slug, text(t.name)) for t in tools]
    by_slug = {t.slug: t for t in tools}
    tool = by_slug.get(request.args.get("tool", ""), default_tool)
    stage = request.args.get("stage", "")
    stage = stage if stage in {s.value for s in AssessmentStage} else default_stage
    form.tool.data, form.stage.data = (tool.slug if tool else None), stage
    return form, tool, stage


def _context(cohort: Cohort) -> dict:
    return {"cohort": cohort, "partial": not sees_every_cohort_trainee(current_user, cohort),
            "calibration": can_view_cohort_calibration(current_user, cohort)}


@bp.route("/cohorts/<int:cohort_id>/competencies")
@login_required
def report_heatmap(cohort_id: int):
    cohort = _cohort(cohort_id)
    form, tool, stage = _filters(cohort)
    heat = queries.heat_map(cohort, tool, stage, queries.trainee_scope(current_user, cohort)) if tool else None
    return render("competencies/heatmap.html", form=form, tool=tool, stage=stage, heat=heat, **_context(cohort))


@bp.route("/cohorts/<int:cohort_id>/competencies/progress")
@login_required
def report_progress(cohort_id: int):
    cohort = _cohort(cohort_id)
    form, tool, _stage = _filters(cohort)
    del form.stage
    progress = queries.group_progress(cohort, tool, queries.trainee_scope(current_user, cohort)) if tool else None
    return render("competencies/progress.html", form=form, tool=tool, progress=progress, **_context(cohort))


@bp.route("/cohorts/<int:cohort_id>/competencies/export.csv")
@login_required
def report_export(cohort_id: int):
    cohort = _cohort(cohort_id)
    _form, tool, _stage = _filters(cohort)
    if tool is None:
        abort(404)
    lines = report_csv.rows(cohort, tool, queries.trainee_scope(current_user, cohort), language())
    filename = f"competencies-cohort-{cohort.id}-{tool.slug}.csv"
    return Response(report_csv.to_csv(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
