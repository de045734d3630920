"""Supervision coverage and hours by site and cohort (no notes), CSV exports, and the organisation's settings."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core.db import write_lock
from app.core.i18n import _
from app.core.permissions import (
    authorize,
    can_export_supervision_notes,
    can_manage_supervision_settings,
    can_view_supervision_coverage,
)
from app.core import audit
from app.extensions import db
from app.supervision import exports, queries, services
from app.supervision.blueprint import bp
from app.supervision.forms import SettingsForm


def _period() -> int | None:
    """The period in days from ?days= (30, 90 or 365; 0 for all time); 90 by default."""
    days = request.args.get("days", 90, type=int)
    return days if days in queries.PERIODS else (None if days == 0 else 90)


@bp.route("/supervision/coverage")
@login_required
def coverage():
    me = current_user._get_current_object()
    authorize(can_view_supervision_coverage(me, me.organisation_id))
    days = _period()
    by_site, by_cohort, total = queries.coverage(me.organisation_id, days)
    return render_template("supervision/coverage.html", days=days, by_site=by_site, by_cohort=by_cohort, total=total,
                           periods=queries.PERIODS, overdue_days=me.organisation.supervision_overdue_days,
                           notes_allowed=can_export_supervision_notes(me, me.organisation_id))


@bp.route("/supervision/export/<any(sessions, hours, cases):export_kind>.csv")
@login_required
def export(export_kind: str):
    me = current_user._get_current_object()
    authorize(can_view_supervision_coverage(me, me.organisation_id))
    days = _period()
    with_notes = request.args.get("notes") == "1" and export_kind != "hours"
    if with_notes:
        authorize(can_export_supervision_notes(me, me.organisation_id))
    if export_kind == "hours":
        body = exports.hours_csv(queries.hours_for_export(me.organisation_id, days))
    else:
        sessions = queries.sessions_for_export(me.organisation_id, days)
        build = exports.sessions_csv if export_kind == "sessions" else exports.cases_csv
        body = build(sessions, with_notes)
        if with_notes:
            db.session.commit()
            with write_lock():
                audit.record("supervision.notes.exported", organisation_id=me.organisation_id, actor_id=me.id,
                             after={"export": export_kind, "days": days, "sessions": len(sessions)})
                db.session.commit()
    filename = f"supervision-{export_kind}{'-notes' if with_notes else ''}-{queries.local_today().isoformat()}.csv"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.route("/supervision/settings", methods=["GET", "POST"])
@login_required
def settings():
    me = current_user._get_current_object()
    authorize(can_manage_supervision_settings(me, me.organisation_id))
    organisation = me.organisation
    form = SettingsForm(data={"overdue_days": organisation.supervision_overdue_days,
                              "followup_score": organisation.wellbeing_followup_score})
    if form.validate_on_submit():
        try:
            services.update_settings(organisation, form.overdue_days.data, form.followup_score.data, me)
        except services.SupervisionError as error:
            db.session.rollback()
            form[error.field].errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("Supervision settings saved."), "success")
            return redirect(url_for("supervision.coverage"))
    return render_template("supervision/settings.html", form=form), 422 if form.errors else 200
