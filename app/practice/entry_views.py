"""The trainee's practice log: My practice, log or correct a session, an entry, a case.

An entry or case that the visitor may not read answers 404 (another trainee's, another
organisation's): changing the id in the address reveals nothing.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.auth.models import User
from app.competencies.harm import open_harm_flags
from app.core.i18n import _, format_datetime
from app.core.permissions import (
    authorize,
    can_edit_practice_entry,
    can_log_practice,
    can_review_practice_entry,
    can_view_practice,
)
from app.extensions import db
from app.practice import queries, services
from app.practice.blueprint import bp
from app.practice.forms import INTERVENTION_LABELS, MODE_LABELS, RISK_LABELS, PracticeEntryForm, ReviewForm
from app.practice.models import EntryStatus, PracticeCase, PracticeEntry
from app.training.queries import local_today


@bp.context_processor
def _labels() -> dict:
    from app.practice.export import intervention_label, status_label

    return {"INTERVENTION_LABELS": INTERVENTION_LABELS, "MODE_LABELS": MODE_LABELS, "RISK_LABELS": RISK_LABELS,
            "status_label": status_label, "intervention_label": intervention_label, "EntryStatus": EntryStatus}


def _me() -> User:
    return current_user._get_current_object()


def load_entry(entry_id: int) -> PracticeEntry:
    entry = db.session.get(PracticeEntry, entry_id)
    if entry is None or not can_view_practice(current_user, entry):
        abort(404)
    return entry


@bp.route("/practice")
@login_required
def practice_mine():
    authorize(can_log_practice(current_user))
    return render_template("practice/mine.html", cases=queries.my_cases(_me()), entries=queries.my_entries(_me()),
                           harm_flags=open_harm_flags(current_user.id))


def _next_session(form: PracticeEntryForm) -> None:
    """"Log a session" from a case page fills in the client, the intervention and the next session number."""
    case = db.session.get(PracticeCase, request.args.get("practice_case_id", type=int) or 0)
    if case is None or case.trainee_id != current_user.id:
        return
    form.client_code.data = case.client_code
    form.intervention.data = case.intervention.value
    form.intervention_other.data = case.intervention_other
    form.session_number.data = max([0, *(e.session_number or 0 for e in case.entries)]) + 1


def _save(entry: PracticeEntry | None):
    form = PracticeEntryForm(entry=entry)
    if entry is None and not form.is_submitted():
        _next_session(form)
    if form.validate_on_submit():
        if form.find_identifiers() and not form.no_identifiers.data:
            return render_template("practice/entry_form.html", form=form, entry=entry), 422
        submit = not form.save_draft.data
        was_risky = bool(entry and entry.has_risk_flag and entry.status != EntryStatus.DRAFT)
        try:
            saved = services.save_entry(_me(), form.entry_data(), submit=submit, entry=entry, today=local_today())
        except services.PracticeError as error:
            db.session.rollback()
            for name, message in error.errors.items():
                target = form[name] if name in form else form.client_code
                target.errors = [*target.errors, str(message)]
        else:
            db.session.commit()
            if submit and saved.has_risk_flag and not was_risky:
                flash(_("Sent. Your supervisor has been told about the risk now."), "success")
            else:
                flash(_("Sent to your supervisor.") if submit else _("Draft saved. Only you can see it."), "success")
            return redirect(url_for("practice.practice_entry", entry_id=saved.id))
    return render_template("practice/entry_form.html", form=form, entry=entry), 422 if form.is_submitted() else 200


@bp.route("/practice/entries/new", methods=["GET", "POST"])
@login_required
def practice_entry_new():
    authorize(can_log_practice(current_user))
    return _save(None)


@bp.route("/practice/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@login_required
def practice_entry_edit(entry_id: int):
    entry = load_entry(entry_id)
    authorize(can_edit_practice_entry(current_user, entry))
    return _save(entry)


@bp.route("/practice/entries/<int:entry_id>/autosave", methods=["POST"])
@login_required
def practice_entry_autosave(entry_id: int):
    """draft.js sends a draft or returned entry here as it is typed; answers JSON for the status line."""
    entry = load_entry(entry_id)
    authorize(can_edit_practice_entry(current_user, entry))
    if entry.status not in (EntryStatus.DRAFT, EntryStatus.RETURNED):
        return jsonify(saved=False, messages=[_("This entry was already sent. Use “Send to my supervisor”.")]), 409
    form = PracticeEntryForm()
    if not form.validate():
        return jsonify(saved=False, messages=[f"{form[name].label.text}: {' '.join(map(str, errors))}"
                                              for name, errors in form.errors.items() if name in form]), 422
    try:
        services.save_entry(_me(), form.entry_data(), submit=False, entry=entry, today=local_today())
    except services.PracticeError as error:
        db.session.rollback()
        return jsonify(saved=False, messages=[str(m) for m in error.errors.values()]), 422
    db.session.commit()
    form.find_identifiers()
    return jsonify(saved=True, saved_at=format_datetime(entry.updated_at, "short"),
                   messages=[str(m) for messages in form.warnings.values() for m in messages])


@bp.route("/practice/entries/<int:entry_id>")
@login_required
def practice_entry(entry_id: int):
    entry = load_entry(entry_id)
    form = ReviewForm() if can_review_practice_entry(current_user, entry) else None
    return render_template("practice/entry.html", entry=entry, form=form)


@bp.route("/practice/entries/<int:entry_id>/discard", methods=["POST"])
@login_required
def practice_entry_discard(entry_id: int):
    entry = load_entry(entry_id)
    authorize(can_edit_practice_entry(current_user, entry) and entry.status == EntryStatus.DRAFT)
    services.discard_draft(entry)
    db.session.commit()
    flash(_("Draft discarded."), "success")
    return redirect(url_for("practice.practice_mine"))


@bp.route("/practice/cases/<int:practice_case_id>")
@login_required
def practice_case(practice_case_id: int):
    case = db.session.get(PracticeCase, practice_case_id)
    if case is None or not can_view_practice(current_user, case):
        abort(404)
    own = case.trainee_id == current_user.id
    progress = queries.progress_of([case], include_drafts=own)[0]
    return render_template("practice/case.html", case=case, progress=progress, own=own)
