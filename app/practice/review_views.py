"""Supervisors verify or return entries; trainers and admins read counts, export, and set the case rule."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.core.i18n import _
from app.core.permissions import (
    authorize,
    can_manage_practice_rules,
    can_review_practice_entry,
    can_verify_practice,
    can_view_practice_counts,
)
from app.extensions import db
from app.practice import export, queries, services
from app.practice.blueprint import bp
from app.practice.entry_views import _me, load_entry
from app.practice.forms import PracticeRuleForm, ReviewForm
from app.practice.models import EntryStatus, Intervention, PracticeEntry, ReviewDecision


@bp.route("/practice/entries/<int:entry_id>/review", methods=["POST"])
@login_required
def practice_entry_review(entry_id: int):
    entry = load_entry(entry_id)
    authorize(can_review_practice_entry(current_user, entry))
    form = ReviewForm()
    if form.validate_on_submit():
        decision = ReviewDecision.VERIFIED if form.verify.data else ReviewDecision.RETURNED
        try:
            services.review_entry(entry, _me(), decision, form.comment.data)
        except services.PracticeError as error:
            db.session.rollback()
            form.comment.errors = [*form.comment.errors, *(str(m) for m in error.errors.values())]
        else:
            db.session.commit()
            flash(_("Entry verified.") if decision == ReviewDecision.VERIFIED
                  else _("Entry returned to the trainee with your comment."), "success")
            return redirect(url_for("practice.practice_queue"))
    return render_template("practice/entry.html", entry=db.session.get(PracticeEntry, entry_id), form=form), 422


@bp.route("/practice/verify")
@login_required
def practice_queue():
    authorize(can_verify_practice(current_user))
    return render_template("practice/queue.html", entries=queries.verification_queue(_me()),
                           cases=queries.supervisee_cases(_me()))


def _csv(content: bytes, name: str) -> Response:
    return Response(content, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


def _sent(entries: list[PracticeEntry]) -> list[PracticeEntry]:
    return [e for e in entries if e.status != EntryStatus.DRAFT]


@bp.route("/practice/verify/export.csv")
@login_required
def practice_export_supervisees():
    """The supervisor's own supervisees, notes included."""
    authorize(can_verify_practice(current_user))
    cases = queries.supervisee_cases(_me())
    if request.args.get("what") == "cases":
        return _csv(export.cases_csv(cases), "practice-cases.csv")
    entries = sorted(_sent([e for p in cases for e in p.entries]), key=lambda e: (e.trainee.full_name, e.id))
    return _csv(export.entries_csv(entries, with_notes=True), "practice-entries.csv")


@bp.route("/practice/counts")
@login_required
def practice_counts():
    authorize(can_view_practice_counts(current_user, current_user.organisation_id))
    by_cohort, by_site = queries.practice_counts(current_user.organisation_id)
    rules = {i: services.rule_for(current_user.organisation_id, i) for i in Intervention}
    return render_template("practice/counts.html", by_cohort=by_cohort, by_site=by_site, rules=rules)


@bp.route("/practice/counts/export.csv")
@login_required
def practice_export_organisation():
    """The whole organisation for trainers and admins: no free text."""
    authorize(can_view_practice_counts(current_user, current_user.organisation_id))
    cases = queries.organisation_cases(current_user.organisation_id)
    if request.args.get("what") == "cases":
        return _csv(export.cases_csv(cases), "practice-cases.csv")
    entries = sorted(_sent([e for p in cases for e in p.entries]), key=lambda e: (e.trainee.full_name, e.id))
    return _csv(export.entries_csv(entries, with_notes=False), "practice-entries.csv")


@bp.route("/practice/rules", methods=["GET", "POST"])
@login_required
def practice_rules():
    organisation_id = current_user.organisation_id
    authorize(can_manage_practice_rules(current_user, organisation_id))
    form = PracticeRuleForm()
    if form.validate_on_submit():
        services.set_rule(organisation_id, Intervention(form.intervention.data), form.required_sessions.data,
                          form.needs_post_assessment.data)
        db.session.commit()
        flash(_("The rule has been saved."), "success")
        return redirect(url_for("practice.practice_counts"))
    rules = {i: services.rule_for(organisation_id, i) for i in Intervention}
    return render_template("practice/rules.html", form=form, rules=rules), 422 if form.is_submitted() else 200
