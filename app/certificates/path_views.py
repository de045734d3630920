"""My path to certification, the cohort's certification status, issuing, revoking and the rule editor.

Objects of another organisation answer 404; a wrong role 403. Nothing changes on GET except
automatic issuing (a course setting), which the trainee's own path page triggers when they are eligible.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.auth.models import User
from app.certificates import services
from app.certificates.blueprint import bp
from app.certificates.evaluator import stage_label
from app.certificates.forms import REASON_LABELS, IssueForm, RevokeForm, RuleForm
from app.certificates.models import Certificate, RevocationReason
from app.certificates.rule_form import fill_rule_form, rule_form_values
from app.certificates.rules import rule_for, save_organisation_rule
from app.core.i18n import _
from app.core.permissions import (
    authorize,
    can_edit_certification_rule,
    can_issue_certificates,
    can_know_cohort,
    can_revoke_certificate,
    can_view_certificate,
    can_view_cohort_certification,
    can_view_expiring_certificates,
)
from app.core.db import utcnow
from app.courses.models import CohortCourse, Course, Lesson
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole
from app.training.queries import cohort_trainees


@bp.context_processor
def _helpers() -> dict:
    return {"REASON_LABELS": REASON_LABELS, "stage_label": stage_label, "is_valid": services.is_valid}


def _me() -> User:
    return current_user._get_current_object()


def _cohort(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not can_know_cohort(current_user, cohort):
        abort(404)
    return cohort


def _certificate(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.organisation_id != current_user.organisation_id:
        abort(404)
    return certificate


def _my_courses(user: User) -> list[Course]:
    ids = (sa.select(CohortCourse.course_id).join(CohortMember, CohortMember.cohort_id == CohortCourse.cohort_id)
           .join(Cohort, Cohort.id == CohortMember.cohort_id)
           .where(CohortMember.user_id == user.id, CohortMember.role == CohortRole.TRAINEE,
                  Cohort.organisation_id == user.organisation_id))
    return list(db.session.scalars(sa.select(Course).where(Course.id.in_(ids)).order_by(Course.id)))


@bp.route("/certificates/mine")
@login_required
def path_mine():
    me = _me()
    states = []
    for course in _my_courses(me):
        state = services.path_state(me, course)
        if state is not None:
            states.append(state)
    return render_template("certificates/path.html", states=states, held=services.certificates_of(me),
                           now=utcnow())


@bp.route("/certificates/cohorts/<int:cert_cohort_id>")
@login_required
def path_cohort(cert_cohort_id: int):
    cohort = _cohort(cert_cohort_id)
    authorize(can_view_cohort_certification(current_user, cohort))
    trainees = cohort_trainees(cohort)
    sections = []
    for given in db.session.scalars(sa.select(CohortCourse).where(CohortCourse.cohort_id == cohort.id)
                                    .order_by(CohortCourse.id)):
        rule = rule_for(given.course_id, cohort.organisation_id)
        if rule is None:
            continue
        rows = [(t, services.path_state(t, given.course, rule, cohort=cohort)) for t in trainees]
        form = IssueForm(course_id=str(given.course_id))
        form.trainee_ids.choices = [SelectChoice(value=t.id, label=t.full_name) for t, s in rows if s.can_be_issued]
        sections.append((given.course, rule, rows, form))
    return render_template("certificates/cohort.html", cohort=cohort, sections=sections,
                           can_issue=can_issue_certificates(current_user, cohort))


@bp.post("/certificates/cohorts/<int:cert_cohort_id>/issue")
@login_required
def path_issue(cert_cohort_id: int):
    cohort = _cohort(cert_cohort_id)
    authorize(can_issue_certificates(current_user, cohort))
    form = IssueForm()
    form.trainee_ids.choices = [SelectChoice(value=t.id, label=t.full_name) for t in cohort_trainees(cohort)]
    given = db.session.scalar(sa.select(CohortCourse).where(
        CohortCourse.cohort_id == cohort.id, CohortCourse.course_id == (int(form.course_id.data or 0)
                                                                         if (form.course_id.data or "").isdigit() else 0)))
    if not form.validate_on_submit() or given is None or not form.trainee_ids.data:
        flash(_("Choose at least one trainee to certify."), "error")
        return redirect(url_for("certificates.path_cohort", cert_cohort_id=cohort.id))
    chosen = [t for t in cohort_trainees(cohort) if t.id in set(form.trainee_ids.data)]
    issued, refused = services.issue_many(chosen, given.course, issued_by=_me(), cohort=cohort)
    db.session.commit()
    for certificate in issued:
        services.finalise_certificate(certificate)
    db.session.commit()
    if issued:
        flash(_("Certificates issued: %(count)d.", count=len(issued)), "success")
    for trainee, _error in refused:
        flash(_("Not issued to %(name)s: not every requirement is met.", name=trainee.full_name), "error")
    return redirect(url_for("certificates.path_cohort", cert_cohort_id=cohort.id))


@bp.route("/certificates/<int:certificate_id>")
@login_required
def path_certificate(certificate_id: int):
    certificate = _certificate(certificate_id)
    authorize(can_view_certificate(current_user, certificate))
    return render_template("certificates/certificate.html", certificate=certificate, now=utcnow(),
                           can_revoke=can_revoke_certificate(current_user, certificate))


@bp.route("/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@login_required
def path_revoke(certificate_id: int):
    certificate = _certificate(certificate_id)
    authorize(can_revoke_certificate(current_user, certificate))
    form = RevokeForm()
    if certificate.revoked_at is None and form.validate_on_submit():
        services.revoke_certificate(certificate, _me(), RevocationReason(form.reason.data), form.note.data)
        db.session.commit()
        flash(_("Certificate %(code)s revoked.", code=certificate.code), "success")
        return redirect(url_for("certificates.path_certificate", certificate_id=certificate.id))
    status = 422 if form.errors else 200
    return render_template("certificates/revoke.html", certificate=certificate, form=form), status


@bp.route("/certificates/rules/<cert_course_slug>", methods=["GET", "POST"])
@login_required
def path_rule(cert_course_slug: str):
    authorize(can_edit_certification_rule(current_user, current_user.organisation_id))
    course = db.session.scalar(sa.select(Course).where(Course.slug == cert_course_slug))
    if course is None or course.organisation_id not in (None, current_user.organisation_id):
        abort(404)
    rule = rule_for(course.id, current_user.organisation_id)
    form = RuleForm()
    fill_rule_form(form, rule, is_post=request.method == "POST")
    lesson_slugs = set(db.session.scalars(sa.select(Lesson.slug).where(Lesson.course_id == course.id,
                                                                        Lesson.is_hidden.is_(False))))
    if form.validate_on_submit():
        values = rule_form_values(form)
        try:
            save_organisation_rule(course.id, current_user.organisation_id, values, current_user.id, lesson_slugs)
        except ValueError as error:
            form.refresher_lessons.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Certification rule saved."), "success")
            return redirect(url_for("certificates.path_rule", cert_course_slug=course.slug))
    status = 422 if form.errors else 200
    return render_template("certificates/rule.html", course=course, rule=rule, form=form), status


@bp.route("/certificates/expiring")
@login_required
def path_expiring():
    authorize(can_view_expiring_certificates(current_user, current_user.organisation_id))
    return render_template("certificates/expiring.html",
                           certificates=services.expiring_soon(current_user.organisation_id), now=utcnow())
