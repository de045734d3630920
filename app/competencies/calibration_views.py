"""Routes: the calibration report of one rating session, and across the sessions of a cohort on a tool.

The thresholds under which a rater "needs re-training" come from the query string (the form on
the page), else the app settings CALIBRATION_MIN_EXACT (a share, 0.8) and CALIBRATION_MIN_KAPPA (0.6).
"""
from __future__ import annotations

from flask import abort, current_app, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField
from wtforms.validators import NumberRange, Optional

from app.competencies import queries
from app.competencies.agreement import calibrate
from app.competencies.blueprint import bp
from app.competencies.models import RatingSession
from app.competencies.report_views import _cohort, _filters, render
from app.core.i18n import _l
from app.core.permissions import (
    authorize,
    can_view_calibration,
    can_view_cohort_calibration,
    is_same_organisation,
    sees_every_cohort_trainee,
)
from app.extensions import db
from app.orgs.models import Cohort


class ThresholdForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    min_exact = IntegerField(_l("Minimum exact agreement with the reference (%)"),
                             validators=[Optional(), NumberRange(0, 100)])
    min_kappa = DecimalField(_l("Minimum kappa with the reference"), places=2,
                             validators=[Optional(), NumberRange(-1, 1)])


def _thresholds() -> tuple[ThresholdForm, float, float]:
    form = ThresholdForm(request.args)
    min_exact = float(current_app.config.get("CALIBRATION_MIN_EXACT", 0.8))
    min_kappa = float(current_app.config.get("CALIBRATION_MIN_KAPPA", 0.6))
    if form.validate():
        if form.min_exact.data is not None:
            min_exact = form.min_exact.data / 100
        if form.min_kappa.data is not None:
            min_kappa = float(form.min_kappa.data)
    if form.min_exact.data is None or form.min_exact.errors:
        form.min_exact.data = round(min_exact * 100)
    if form.min_kappa.data is None or form.min_kappa.errors:
        form.min_kappa.data = min_kappa
    return form, min_exact, min_kappa


@bp.route("/competencies/calibration/<int:calibration_session_id>")
@login_required
def calibration_session(calibration_session_id: int):
    session = db.session.get(RatingSession, calibration_session_id)
    if session is None or not is_same_organisation(current_user, session):
        abort(404)
    authorize(can_view_calibration(current_user, session))
    form, min_exact, min_kappa = _thresholds()
    items = {item.id: item for item in queries.visible_items(session.tool)}
    (ratings,) = queries.session_ratings([session], items)
    report = calibrate(ratings.units, min_exact, min_kappa)
    return render("competencies/calibration.html", session=session, ratings=ratings, report=report, tool_items=items,
                  item_stats={i.item: i for i in report.items}, form=form,
                  rater_name=lambda rater_id: ratings.raters[rater_id].full_name,
                  session_cohort=db.session.get(Cohort, session.cohort_id) if session.cohort_id else None, min_exact=min_exact, min_kappa=min_kappa)


@bp.route("/cohorts/<int:cohort_id>/competencies/calibration")
@login_required
def calibration_cohort(cohort_id: int):
    cohort = _cohort(cohort_id)
    authorize(can_view_cohort_calibration(current_user, cohort))
    filters, tool, _stage = _filters(cohort, queries.latest_session_tool_id(cohort))
    del filters.stage
    form, min_exact, min_kappa = _thresholds()
    items = {item.id: item for item in queries.visible_items(tool)} if tool else {}
    sessions = queries.session_ratings(queries.cohort_sessions(cohort, tool), items) if tool else []
    per_session = [(s, calibrate(s.units, min_exact, min_kappa)) for s in sessions]
    pooled = calibrate([u for s in sessions for u in s.units], min_exact, min_kappa)
    raters = {rater_id: user for s in sessions for rater_id, user in s.raters.items()}
    return render("competencies/calibration_cohort.html", cohort=cohort, tool=tool, filters=filters, form=filters,
                  thresholds=form, per_session=per_session, pooled=pooled, raters=raters, tool_items=items,
                  item_stats={i.item: i for i in pooled.items}, rater_name=lambda rater_id: raters[rater_id].full_name,
                  min_exact=min_exact, min_kappa=min_kappa, partial=not sees_every_cohort_trainee(current_user, cohort),
                  calibration=True)
