"""Training days of a cohort, the attendance sheet, and each trainee's own attendance.

Cohort pages answer 404 to anyone who may not know the cohort exists (another
organisation, a trainee of another cohort), 403 to a wrong role, and change nothing on GET.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import format_percent
from flask_login import current_user, login_required

from app.auth.models import User
from app.core.i18n import _
from app.core.permissions import (
    authorize,
    can_know_cohort,
    can_manage_training_days,
    can_take_attendance,
    can_view_training_days,
)
from app.extensions import db
from app.orgs.models import Cohort, CohortRole
from app.training import queries, services
from app.training.forms import STATUS_LABELS, TrainingDayForm, attendance_sheet_form, facilitator_choices
from app.training.models import TrainingDay

bp = Blueprint("training", __name__, template_folder="templates")


@bp.context_processor
def _helpers() -> dict:
    def rate(value: float | None) -> str:
        return "—" if value is None else format_percent(value)

    return {"STATUS_LABELS": STATUS_LABELS, "rate": rate}


def _me() -> User:
    return current_user._get_current_object()


def _cohort(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not can_know_cohort(current_user, cohort):
        abort(404)
    return cohort


def _day(cohort: Cohort, day_id: int) -> TrainingDay:
    day = db.session.get(TrainingDay, day_id)
    if day is None or day.cohort_id != cohort.id:
        abort(404)
    return day


@bp.route("/cohorts/<int:cohort_id>/days")
@login_required
def days(cohort_id: int):
    cohort = _cohort(cohort_id)
    authorize(can_view_training_days(current_user, cohort))
    today = queries.local_today()
    all_days = queries.training_days(cohort)
    return render_template("training/days.html", cohort=cohort, today=today, counts=queries.day_counts(cohort),
                           upcoming=[d for d in all_days if not queries.is_held(d, today)],
                           past=[d for d in reversed(all_days) if queries.is_held(d, today)],
                           trainees=len(queries.cohort_trainees(cohort)))


def _day_form(cohort: Cohort, day: TrainingDay | None):
    form = TrainingDayForm(obj=day)
    staff = [m.user for m in sorted(cohort.members, key=lambda m: m.user.full_name)
             if m.role in (CohortRole.TRAINER, CohortRole.SUPERVISOR)]
    if day is not None and day.facilitator and day.facilitator not in staff:
        staff.append(day.facilitator)
    form.facilitator_id.choices = facilitator_choices(dict.fromkeys(staff))
    if day is not None and not form.is_submitted():
        form.facilitator_id.data = day.facilitator_id or 0
    return form


def _save_day(cohort: Cohort, day: TrainingDay | None):
    form = _day_form(cohort, day)
    if form.validate_on_submit():
        data = services.DayData(held_on=form.held_on.data, starts_at=form.starts_at.data, place=form.place.data,
                                topic=form.topic.data, facilitator_id=form.facilitator_id.data or None,
                                facilitator_name=form.facilitator_name.data, notes=form.notes.data)
        try:
            if day is None:
                services.create_training_day(cohort, data, _me())
            else:
                services.update_training_day(day, data, _me())
        except services.TrainingError as error:
            db.session.rollback()
            form[error.field or "held_on"].errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("The training day has been saved."), "success")
            return redirect(url_for("training.days", cohort_id=cohort.id))
    return render_template("training/day_form.html", cohort=cohort, day=day, form=form), (
        422 if form.is_submitted() else 200)


@bp.route("/cohorts/<int:cohort_id>/days/new", methods=["GET", "POST"])
@login_required
def day_new(cohort_id: int):
    cohort = _cohort(cohort_id)
    authorize(can_manage_training_days(current_user, cohort))
    return _save_day(cohort, None)


@bp.route("/cohorts/<int:cohort_id>/days/<int:day_id>/edit", methods=["GET", "POST"])
@login_required
def day_edit(cohort_id: int, day_id: int):
    cohort = _cohort(cohort_id)
    authorize(can_manage_training_days(current_user, cohort))
    return _save_day(cohort, _day(cohort, day_id))


@bp.route("/cohorts/<int:cohort_id>/days/<int:day_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(cohort_id: int, day_id: int):
    cohort = _cohort(cohort_id)
    authorize(can_take_attendance(current_user, cohort))
    day = _day(cohort, day_id)
    trainees = queries.cohort_trainees(cohort)
    form = attendance_sheet_form(trainees, queries.day_attendance(day))
    if form.validate_on_submit():
        try:
            result = services.record_attendance(day, form.marks(), _me())
        except services.TrainingError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("Attendance saved: %(recorded)d new, %(changed)d changed, %(unchanged)d unchanged.",
                    recorded=result.recorded, changed=result.changed, unchanged=result.unchanged), "success")
            return redirect(url_for("training.days", cohort_id=cohort.id))
    return render_template("training/attendance.html", cohort=cohort, day=day, trainees=trainees, form=form,
                           is_open=queries.is_held(day, queries.local_today())), 422 if form.is_submitted() else 200


@bp.route("/cohorts/<int:cohort_id>/days/summary")
@login_required
def summary(cohort_id: int):
    cohort = _cohort(cohort_id)
    authorize(can_view_training_days(current_user, cohort))
    return render_template("training/summary.html", cohort=cohort,
                           rows=queries.cohort_summary(cohort, queries.local_today()))


@bp.route("/training/my-attendance")
@login_required
def my_attendance():
    today = queries.local_today()
    return render_template("training/my_attendance.html", today=today,
                           records=queries.attendance_of(_me(), today))
