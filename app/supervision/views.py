"""Supervision sessions: log one (a draft saved as typed, then submitted), read it, acknowledge it,
and the pages for supervisors (My supervisees) and trainees (My supervision).

A session of another organisation answers 404; one of this organisation that the person may not
read answers 403. Importing this module registers every supervision route on the blueprint.
"""
from __future__ import annotations

from datetime import time
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.auth.models import User
from app.core.db import utcnow, write_lock
from app.core.i18n import _, format_datetime
from app.core.permissions import (
    authorize,
    can_acknowledge_supervision,
    can_edit_supervision,
    can_log_supervision,
    can_read_supervision_notes,
    can_update_action_item,
    is_same_organisation,
)
from app.extensions import db
from app.notifications.services import send_pending_emails
from app.orgs.models import Site
from app.supervision import alerts, queries, services
from app.supervision.blueprint import bp
from app.supervision.forms import AcknowledgeForm, WhoAndWhenForm, people_choices, session_form
from app.supervision.models import ActionItem, Modality, SessionFormat, SupervisionSession

__all__ = ["bp"]


def _me() -> User:
    return current_user._get_current_object()


def _session(supervision_id: int) -> SupervisionSession:
    session = db.session.get(SupervisionSession, supervision_id)
    if session is None or not is_same_organisation(current_user, session):
        abort(404)
    return session


def _people(ids: list[int]) -> list[User]:
    if not ids:
        return []
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids), User.organisation_id == _me().organisation_id)
                                   .order_by(User.full_name, User.id)))


def _site_choices(current: int | None) -> list:
    sites = db.session.scalars(sa.select(Site).where(Site.organisation_id == _me().organisation_id,
                                                     sa.or_(Site.is_active.is_(True), Site.id == (current or 0)))
                               .order_by(Site.name))
    return people_choices([], empty=_("No site")) + [SelectChoice(value=s.id, label=s.name) for s in sites]


def _started_at(form: WhoAndWhenForm):
    """The date and start time as typed. With no start time: midday, or now for a session earlier
    today (before noon, midday would still be in the future and the session could not be logged)."""
    if form.held_on.data is None:
        return None
    if form.starts_at.data is not None:
        return queries.to_utc(form.held_on.data, form.starts_at.data)
    return min(queries.to_utc(form.held_on.data, time(12, 0)), utcnow())


def _show_error(form: Any, error: services.SupervisionError) -> None:
    name = error.field or "supervisee_ids"
    target = None
    if name.startswith(("cases-", "actions-")):
        group, index, attribute = name.split("-", 2)
        entries = getattr(form, group)
        if int(index) < len(entries):
            target = entries[int(index)].form[attribute]
    elif name in form:
        target = form[name]
    target = target if target is not None else form.supervisee_ids
    target.errors = [*target.errors, str(error.message)]


def _remind_lazily(user: User) -> None:
    """Reminders for the person's own action items, sent on their next visit (cron may not run)."""
    if not alerts.due_reminders(queries.local_today(), owner_id=user.id):
        return
    db.session.commit()  # end the read; the write below takes SQLite's write lock up front
    with write_lock():
        alerts.send_reminders(alerts.due_reminders(queries.local_today(), owner_id=user.id))
        db.session.commit()
    send_pending_emails()


# -- a new session: who, how and when ---------------------------------------------------------

@bp.route("/supervision/sessions/new", methods=["GET", "POST"])
@login_required
def session_new():
    me = _me()
    authorize(can_log_supervision(me, me.organisation_id))
    form = WhoAndWhenForm()
    supervisees = _people(sorted(services.current_supervisee_ids(me)))
    form.supervisee_ids.choices = people_choices(supervisees)
    form.site_id.choices = _site_choices(None)
    if not form.is_submitted():
        form.held_on.data = queries.local_today()
        form.site_id.data = me.site_id or 0
        chosen = request.args.get("supervisee", type=int)
        form.supervisee_ids.data = [chosen] if chosen in {p.id for p in supervisees} else []
    if form.validate_on_submit():
        data = services.SessionData(supervisee_ids=list(form.supervisee_ids.data or []),
                                    format=SessionFormat(form.format.data), modality=Modality(form.modality.data),
                                    started_at=_started_at(form),
                                    duration_minutes=form.duration_minutes.data, site_id=form.site_id.data or None)
        try:
            session = services.start_session(me, data)
        except services.SupervisionError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("supervision.session_edit", supervision_id=session.id))
    return render_template("supervision/new.html", form=form, supervisees=supervisees), (
        422 if form.is_submitted() else 200)


# -- the full record --------------------------------------------------------------------------

def _initial_data(session: SupervisionSession, extra_cases: int, extra_actions: int) -> dict:
    start = queries.local(session.started_at)
    data: dict[str, Any] = {
        "supervisee_ids": [a.supervisee_id for a in session.attendees], "format": session.format.value,
        "modality": session.modality.value, "held_on": start.date(), "starts_at": start.time().replace(second=0),
        "duration_minutes": session.duration_minutes, "site_id": session.site_id or 0, "topics": session.topics,
        "notes": session.notes, "assessment_id": session.assessment_id or 0,
        "cases": [{"supervisee_id": c.supervisee_id or 0, "client_code": c.client_code,
                   "intervention": c.intervention.value, "session_number": c.session_number, "summary": c.summary,
                   "risk_level": c.risk_level.value, "action_taken": c.action_taken, "referral": c.referral}
                  for c in session.cases] + [{}] * extra_cases,
        "actions": [{"description": a.description, "owner_id": a.owner_id, "due_on": a.due_on}
                    for a in session.action_items if not a.is_wellbeing_followup] + [{}] * extra_actions,
    }
    for attendee in session.attendees:
        score = attendee.wellbeing_score
        data[f"wellbeing_score_{attendee.supervisee_id}"] = "" if score is None else str(score)
        data[f"wellbeing_note_{attendee.supervisee_id}"] = attendee.wellbeing_note
    return data


def _assessment_choices(session: SupervisionSession, attendee_ids: list[int]) -> list:
    from app.competencies.models import Assessment

    found = db.session.scalars(
        sa.select(Assessment).where(Assessment.organisation_id == session.organisation_id,
                                    Assessment.trainee_id.in_(attendee_ids or [0]),
                                    sa.or_(Assessment.assessor_id == session.supervisor_id,
                                           Assessment.id == (session.assessment_id or 0)))
        .order_by(Assessment.started_at.desc()).limit(30))
    lang = str(getattr(current_user, "preferred_language", "es"))
    return people_choices([], empty=_("None")) + [SelectChoice(
        value=a.id, label=f"{a.trainee.full_name} · {a.tool.name.get(lang) or next(iter(a.tool.name.values()), '')}"
                          f" · {format_datetime(a.started_at, 'short')}") for a in found]


def _record_form(session: SupervisionSession):
    """The form for this session; on a POST its well-being rows follow the supervisees ticked."""
    if request.method == "POST":
        ids = [int(v) for v in request.form.getlist("supervisee_ids") if v.isdigit()]
    else:
        ids = [a.supervisee_id for a in session.attendees]
    attendees = _people(ids)
    blank = 1 if session.is_draft or request.method == "GET" else 0
    extra_cases = max(blank, min(request.args.get("extra_cases", 0, type=int), 5)) if session.is_draft else 0
    extra_actions = max(blank, min(request.args.get("extra_actions", 0, type=int), 5)) if session.is_draft else 0
    form = session_form(attendees, data=_initial_data(session, extra_cases, extra_actions))
    if form.add_case.data and not session.is_draft:
        form.cases.append_entry()
    if form.add_action.data and not session.is_draft:
        form.actions.append_entry()
    choosable = _people(sorted(services.current_supervisee_ids(session.supervisor)
                               | {a.supervisee_id for a in session.attendees}))
    form.supervisee_ids.choices = people_choices(choosable)
    form.site_id.choices = _site_choices(session.site_id)
    form.assessment_id.choices = _assessment_choices(session, ids)
    for entry in form.cases:
        entry.form.supervisee_id.choices = people_choices(attendees, empty=_("Choose"))
    for entry in form.actions:
        entry.form.owner_id.choices = people_choices([session.supervisor, *attendees])
    return form, attendees


def _after_save(alerts_sent: list) -> None:
    send_pending_emails()
    if alerts_sent:
        flash(_("The clinical lead has been alerted to the case at high or imminent risk."), "warning")


@bp.route("/supervision/sessions/<int:supervision_id>/edit", methods=["GET", "POST"])
@login_required
def session_edit(supervision_id: int):
    session = _session(supervision_id)
    authorize(can_edit_supervision(current_user, session))
    form, attendees = _record_form(session)
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        data = form.session_data(_started_at(form))
        try:
            if not session.is_draft:
                if form.add_case.data or form.add_action.data:
                    raise _Rerender
                sent = services.update_submitted(session, data, _me())
            elif form.submit.data:
                sent = services.submit_session(session, data, _me())
            else:
                services.save_draft(session, data, _me())
                sent = []
        except services.SupervisionError as error:
            db.session.rollback()
            _show_error(form, error)
        except _Rerender:
            status = 200
        else:
            db.session.commit()
            _after_save(sent)
            names = {p.id: p.full_name for p in attendees}
            for warning in services.warnings(data, names):
                flash(_("Check %(where)s: it may hold a name or a phone number (“%(text)s”). Use codes only.",
                        where=warning.where, text=warning.finding.text), "warning")
            if session.is_draft:
                if form.add_case.data or form.add_action.data:
                    blanks = sum(1 for c in data.cases if c.is_blank) if form.add_case.data else 0
                    actions = sum(1 for a in data.actions if a.is_blank) if form.add_action.data else 0
                    anchor = "cases-heading" if form.add_case.data else "actions-heading"
                    return redirect(url_for("supervision.session_edit", supervision_id=session.id,
                                            extra_cases=blanks + 1 if form.add_case.data else 1,
                                            extra_actions=actions + 1 if form.add_action.data else 1,
                                            _anchor=anchor))
                flash(_("Draft saved."), "success")
                return redirect(url_for("supervision.session_edit", supervision_id=session.id))
            flash(_("The supervision record has been saved."), "success")
            return redirect(url_for("supervision.session_view", supervision_id=session.id))
    return render_template("supervision/edit.html", session=session, form=form, attendees=attendees), status


class _Rerender(Exception):
    """Adding a row to a submitted record only redraws the form; nothing is saved yet."""


@bp.route("/supervision/sessions/<int:supervision_id>/autosave", methods=["POST"])
@login_required
def session_autosave(supervision_id: int):
    """draft.js sends the form here as it is typed; answers JSON for the page's status line."""
    session = _session(supervision_id)
    authorize(can_edit_supervision(current_user, session))
    if not session.is_draft:
        return jsonify(saved=False, messages=[_("This record has been submitted. Use Save changes.")]), 422
    form, attendees = _record_form(session)
    if not form.validate():
        messages = [f"{form[name].label.text if name in form else name}: {' '.join(map(str, errs))}"
                    for name, errs in form.errors.items() if isinstance(errs, list)]
        return jsonify(saved=False, messages=messages or [_("Some fields need correcting.")]), 422
    data = form.session_data(_started_at(form))
    try:
        services.save_draft(session, data, _me())
    except services.SupervisionError as error:
        db.session.rollback()
        return jsonify(saved=False, messages=[str(error.message)]), 422
    db.session.commit()
    names = {p.id: p.full_name for p in attendees}
    warnings = [_("Check %(where)s: it may hold a name or a phone number (“%(text)s”). Use codes only.",
                  where=w.where, text=w.finding.text) for w in services.warnings(data, names)]
    return jsonify(saved=True, saved_at=format_datetime(session.draft_saved_at, "short"),
                   saved_ms=int(session.updated_at.timestamp() * 1000), messages=warnings)


@bp.route("/supervision/sessions/<int:supervision_id>/discard", methods=["POST"])
@login_required
def session_discard(supervision_id: int):
    session = _session(supervision_id)
    authorize(can_edit_supervision(current_user, session))
    if AcknowledgeForm().validate_on_submit():
        try:
            services.discard_draft(session, _me())
        except services.SupervisionError as error:
            db.session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("supervision.session_view", supervision_id=supervision_id))
        db.session.commit()
        flash(_("The draft has been deleted."), "success")
    return redirect(url_for("supervision.supervisees"))


@bp.route("/supervision/sessions/<int:supervision_id>")
@login_required
def session_view(supervision_id: int):
    session = _session(supervision_id)
    me = _me()
    authorize(can_read_supervision_notes(me, session))
    if services.reads_as_third_party(session, me):
        db.session.commit()
        with write_lock():
            services.record_notes_read(session, me)
            db.session.commit()
    names = {a.supervisee_id: a.supervisee.full_name for a in session.attendees}
    from app.supervision.models import SessionRevision

    revisions = list(db.session.scalars(sa.select(SessionRevision).where(SessionRevision.session_id == session.id)
                                        .order_by(SessionRevision.revised_at)))
    mine = next((a for a in session.attendees if a.supervisee_id == me.id), None)
    return render_template("supervision/session.html", session=session, names=names, me_attendee=mine,
                           revisions=revisions, form=AcknowledgeForm())


@bp.route("/supervision/sessions/<int:supervision_id>/acknowledge", methods=["POST"])
@login_required
def session_acknowledge(supervision_id: int):
    session = _session(supervision_id)
    authorize(can_acknowledge_supervision(current_user, session))
    if AcknowledgeForm().validate_on_submit() and services.acknowledge(session, _me()):
        db.session.commit()
        flash(_("Thank you. You have acknowledged this supervision record."), "success")
    return redirect(url_for("supervision.session_view", supervision_id=supervision_id))


def _action(action_id: int) -> ActionItem:
    item = db.session.get(ActionItem, action_id)
    if item is None or not is_same_organisation(current_user, item):
        abort(404)
    authorize(can_update_action_item(current_user, item))
    return item


def _set_action(action_id: int, done: bool):
    item = _action(action_id)
    if AcknowledgeForm().validate_on_submit() and services.set_action_status(item, done, _me()):
        db.session.commit()
        flash(_("Action item marked done.") if done else _("Action item open again."), "success")
    target = request.form.get("next", "")
    if target.startswith("/supervision/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("supervision.session_view", supervision_id=item.session_id))


@bp.route("/supervision/actions/<int:action_id>/done", methods=["POST"])
@login_required
def action_done(action_id: int):
    return _set_action(action_id, True)


@bp.route("/supervision/actions/<int:action_id>/reopen", methods=["POST"])
@login_required
def action_reopen(action_id: int):
    return _set_action(action_id, False)


# -- people's pages -----------------------------------------------------------------------------

@bp.route("/supervision/supervisees")
@login_required
def supervisees():
    me = _me()
    authorize(can_log_supervision(me, me.organisation_id))
    _remind_lazily(me)
    drafts, recent = queries.sessions_logged_by(me)
    return render_template("supervision/supervisees.html", rows=queries.supervisee_overview(me),
                           high_risk=queries.high_risk_cases(me), drafts=drafts, recent=recent,
                           actions=queries.open_actions_owned(me), overdue_days=me.organisation.supervision_overdue_days,
                           form=AcknowledgeForm())


@bp.route("/supervision/mine")
@login_required
def mine():
    me = _me()
    _remind_lazily(me)
    return render_template("supervision/mine.html", record=queries.supervision_of(me), form=AcknowledgeForm())


from app.supervision import cli, report_views  # noqa: E402,F401  (registers the coverage, export, settings routes and the CLI)
