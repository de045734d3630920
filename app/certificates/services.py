"""Issuing, revoking, expiry reminders and recertification. Services flush; views and commands commit.

Every way to a certificate (one by one, selected, bulk, automatic, recertification) goes through
``issue_certificate``, which asks the evaluator and refuses while any criterion is unmet.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.certificates.codes import new_code, new_token
from app.certificates.evaluator import CriterionResult, Evaluation, evaluate, trainee_cohort
from app.certificates.models import Certificate, CertificationRule, RevocationReason, SigningKey
from app.certificates.renewal import RENEWAL_DAYS
from app.certificates.rules import rule_for
from app.core import audit
from app.core.db import as_utc, utcnow
from app.courses.models import Course
from app.extensions import db
from app.orgs.models import Cohort

REMINDER_DAYS = (7, 30, 60)


class CertificationError(Exception):
    def __init__(self, message: str, unmet: list[CriterionResult] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.unmet = unmet or []


@dataclass
class PathState:
    """Where one trainee stands with one course's certificate."""

    course: Course
    rule: CertificationRule
    evaluation: Evaluation
    current: Certificate | None  # valid now (not revoked, not expired)
    previous: Certificate | None  # what a new certificate would renew
    is_recertification: bool
    revoked: Certificate | None = None  # the latest certificate, when it was revoked

    @property
    def can_be_issued(self) -> bool:
        return self.evaluation.is_eligible and (self.current is None or self.is_recertification)

    @property
    def is_certified(self) -> bool:
        return self.current is not None and not self.is_recertification


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    import calendar

    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


_aware = as_utc  # one rule for naive timestamps: app.core.db.as_utc


def is_valid(certificate: Certificate, now: datetime) -> bool:
    """Valid now: one rule for the path, the verification page and the credential status."""
    from app.certificates.verification import CertificateStatus, status_of

    return status_of(certificate, now) is CertificateStatus.VALID


def certificates_of(trainee: User, course: Course | None = None) -> list[Certificate]:
    query = sa.select(Certificate).where(Certificate.trainee_id == trainee.id,
                                         Certificate.organisation_id == trainee.organisation_id)
    if course is not None:
        query = query.where(Certificate.course_id == course.id)
    return list(db.session.scalars(query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def refresher_criteria(rule: CertificationRule) -> dict[str, Any]:
    """The refresher path: its lessons and a competency round of its stage; the full rule when none is set."""
    refresher = rule.refresher or {}
    criteria: dict[str, Any] = {}
    if refresher.get("lessons"):
        criteria["lessons"] = list(refresher["lessons"])
    competency = rule.criteria.get("competency")
    if competency and refresher.get("assessment_stage"):
        criteria["competency"] = {**competency, "stage": refresher["assessment_stage"]}
    return criteria or dict(rule.criteria)


def path_state(trainee: User, course: Course, rule: CertificationRule | None = None, *,
               cohort: Cohort | None = None, now: datetime | None = None) -> PathState | None:
    now = now or utcnow()
    rule = rule or rule_for(course.id, trainee.organisation_id)
    if rule is None:
        return None
    every = certificates_of(trainee, course)
    held = [c for c in every if c.revoked_at is None]
    current = next((c for c in held if is_valid(c, now)), None)
    latest = held[0] if held else None
    renewing = latest is not None and latest.valid_until is not None and (
        _aware(latest.valid_until) - now <= timedelta(days=RENEWAL_DAYS))
    if renewing:
        evaluation = evaluate(trainee, course, rule, cohort=cohort, criteria=refresher_criteria(rule),
                              since=_aware(latest.issued_at), now=now)
    else:
        evaluation = evaluate(trainee, course, rule, cohort=cohort, now=now)
    revoked = every[0] if every and every[0].revoked_at is not None else None
    return PathState(course, rule, evaluation, current, latest if renewing else None, renewing, revoked)


def issue_certificate(trainee: User, course: Course, *, issued_by: User | None, cohort: Cohort | None = None,
                      language: str | None = None, now: datetime | None = None,
                      rule: CertificationRule | None = None) -> Certificate:
    """Issue one certificate, or raise CertificationError while any criterion is unmet. Flushes.
    ``rule``: the rule in force for the trainee's organisation (``rule_for``), when the caller read it already."""
    now = now or utcnow()
    cohort = cohort or trainee_cohort(trainee, course)
    state = path_state(trainee, course, rule, cohort=cohort, now=now)
    if state is None:
        raise CertificationError("This course has no certification rule.")
    if state.is_certified:
        raise CertificationError("already certified")
    if not state.evaluation.is_eligible:
        raise CertificationError("not eligible", state.evaluation.unmet)
    rule = state.rule
    language = language or _language(trainee, course, cohort)
    certificate = Certificate(
        organisation_id=trainee.organisation_id, course_id=course.id, trainee_id=trainee.id,
        cohort_id=cohort.id if cohort else None, code=_unique(new_code, Certificate.code),
        token=_unique(new_token, Certificate.token), language=language, issued_at=now,
        issued_by_id=issued_by.id if issued_by else None, valid_from=now,
        valid_until=add_months(now, rule.validity_months) if rule.validity_months else None,
        previous_id=state.previous.id if state.previous else None,
        snapshot=_snapshot(trainee, course, rule, state, language, issued_by))
    db.session.add(certificate)
    db.session.flush()
    audit.record("certificate.issue", certificate, organisation_id=certificate.organisation_id,
                 after={"code": certificate.code, "trainee_id": trainee.id, "course": course.slug,
                        "previous_id": certificate.previous_id, "automatic": issued_by is None})
    return certificate


def _unique(make, column) -> str:
    while True:
        value = make()
        if db.session.scalar(sa.select(Certificate.id).where(column == value)) is None:
            return value


def _language(trainee: User, course: Course, cohort: Cohort | None) -> str:
    from app.courses.models import CohortCourse

    if cohort is not None:
        given = db.session.scalar(sa.select(CohortCourse.language).where(
            CohortCourse.cohort_id == cohort.id, CohortCourse.course_id == course.id))
        if given:
            return given
    if trainee.preferred_language in course.languages:
        return trainee.preferred_language
    return course.languages[0] if course.languages else "es"


def _snapshot(trainee: User, course: Course, rule: CertificationRule, state: PathState, language: str,
              issued_by: User | None) -> dict[str, Any]:
    """What the certificate certifies, frozen: later edits to people, course or organisation change nothing."""
    return {
        "name": trainee.full_name,
        "course_slug": course.slug,
        "course_title": course.title_in(language),
        "course_titles": dict(course.title),
        "course_version": course.version,
        "hours": f"{course.estimated_hours:g}" if course.estimated_hours else "",
        "organisation_name": trainee.organisation.name,
        "signatories": list(rule.signatories or []),
        "issued_by": issued_by.full_name if issued_by else None,
        "validity_months": rule.validity_months,
        "recertification": state.is_recertification,
        "evidence": [{"key": c.key, "label": c.label, "evidence": c.evidence} for c in state.evaluation.criteria],
    }


@dataclass(frozen=True)
class Finalised:
    """What rendering and signing produced for one certificate, before it is recorded."""

    certificate_id: int
    pdf_path: str
    pdf_sha256: str
    credential: dict[str, Any]


def render_and_sign(certificate: Certificate, template: str | None = None,
                    signing_key: SigningKey | None = None) -> Finalised:
    """The slow part of issuing, with no database write (so it can run in another process):
    render the PDF once and store the file, build and sign the credential. The organisation's
    signing key must exist already (``badges.prepare_signing``). ``template`` and ``signing_key``:
    the rule's template and the organisation's active key, when the caller knows them already."""
    from app.certificates.badges import build_credential
    from app.certificates.pdf import render_certificate_pdf
    from app.certificates.storage import write_pdf_file

    if template is None:
        template = template_for(certificate)
    path, sha256 = write_pdf_file(certificate, render_certificate_pdf(certificate, template))
    return Finalised(certificate.id, path, sha256, build_credential(certificate, signing_key))


def template_for(certificate: Certificate) -> str:
    """The certificate template its course's rule names (in the certificate's organisation)."""
    rule = rule_for(certificate.course_id, certificate.organisation_id)
    return rule.template if rule else "default"


def record_finalised(certificate: Certificate, done: Finalised) -> None:
    """Record the PDF and credential on the certificate and tell its holder. Flushes."""
    certificate.pdf_path, certificate.pdf_sha256, certificate.credential = done.pdf_path, done.pdf_sha256, done.credential
    db.session.flush()
    _tell_holder(certificate)


def finalise_certificate(certificate: Certificate) -> None:
    """After the issuing commit: render and store the PDF once, then build and sign the credential.
    The caller commits again."""
    from app.certificates.badges import prepare_signing

    prepare_signing(certificate.organisation)
    record_finalised(certificate, render_and_sign(certificate))


def _tell_holder(certificate: Certificate) -> None:
    """The trainee hears of a new certificate in the notification centre (and by email when configured)."""
    from flask import url_for

    from app.notifications.services import notify

    # The holder's ids are on the record: no need to load the person (and their roles) to notify them.
    holder = SimpleNamespace(id=certificate.trainee_id, organisation_id=certificate.organisation_id)
    notify([holder], "certificates.issued",
           {"course": certificate.snapshot.get("course_titles") or certificate.snapshot.get("course_title"),
            "code": certificate.code},
           url_for("certificates.path_mine"), dedupe_key=f"certificate-issued:{certificate.id}")


def issue_many(trainees: list[User], course: Course, *, issued_by: User | None, cohort: Cohort | None = None
               ) -> tuple[list[Certificate], list[tuple[User, CertificationError]]]:
    """Issue to each eligible trainee; the others are returned with the reason they were refused."""
    issued, refused = [], []
    for trainee in trainees:
        try:
            with db.session.begin_nested():
                issued.append(issue_certificate(trainee, course, issued_by=issued_by, cohort=cohort))
        except CertificationError as error:
            refused.append((trainee, error))
    return issued, refused


def issue_if_due(trainee: User, course: Course, now: datetime | None = None) -> Certificate | None:
    """Automatic issuing (a course setting): issue as soon as the trainee is eligible."""
    state = path_state(trainee, course, now=now)
    if state is None or not state.rule.auto_issue or not state.can_be_issued:
        return None
    return issue_certificate(trainee, course, issued_by=None, now=now)


def revoke_certificate(certificate: Certificate, actor: User, reason: RevocationReason, note: str) -> None:
    if certificate.revoked_at is not None:
        raise CertificationError("already revoked")
    if not note.strip():
        raise CertificationError("a note is required")
    certificate.revoked_at = utcnow()
    certificate.revoked_by_id = actor.id
    certificate.revocation_reason = RevocationReason(reason)
    certificate.revocation_note = note.strip()
    db.session.flush()
    audit.record("certificate.revoke", certificate, organisation_id=certificate.organisation_id,
                 before={"revoked_at": None},
                 after={"code": certificate.code, "reason": certificate.revocation_reason.value,
                        "note": certificate.revocation_note})


def _renewed_ids() -> sa.Select:
    renewal = sa.orm.aliased(Certificate)
    return sa.select(renewal.previous_id).where(renewal.previous_id.is_not(None), renewal.revoked_at.is_(None))


def expiring_soon(organisation_id: int | None, now: datetime | None = None, days: int = RENEWAL_DAYS
                  ) -> list[Certificate]:
    """Valid certificates that expire within ``days`` and have not been renewed, soonest first."""
    now = now or utcnow()
    query = sa.select(Certificate).where(
        Certificate.revoked_at.is_(None), Certificate.valid_until.is_not(None),
        Certificate.valid_until > now, Certificate.valid_until <= now + timedelta(days=days),
        Certificate.id.not_in(_renewed_ids()))
    if organisation_id is not None:
        query = query.where(Certificate.organisation_id == organisation_id)
    return list(db.session.scalars(query.order_by(Certificate.valid_until, Certificate.id)))


def reminder_step(certificate: Certificate, now: datetime) -> int | None:
    """The reminder due now: 7, 30 or 60 (days before expiry), None when none is due."""
    if certificate.valid_until is None:
        return None
    left = (_aware(certificate.valid_until) - now).total_seconds() / 86400
    return next((step for step in REMINDER_DAYS if 0 < left <= step), None)


def send_expiry_reminders(now: datetime | None = None) -> int:
    """Remind holders 60, 30 and 7 days before expiry; each step once per certificate. Flushes."""
    from flask import url_for

    from app.notifications.services import notify

    now = now or utcnow()
    sent = 0
    for certificate in expiring_soon(None, now):
        step = reminder_step(certificate, now)
        if step is None:
            continue
        sent += len(notify([certificate.trainee], "certificates.expiring",
                           {"course": certificate.snapshot.get("course_titles") or certificate.snapshot.get(
                               "course_title"), "code": certificate.code,
                            "date": _aware(certificate.valid_until).date().isoformat(), "days": step},
                           url_for("certificates.path_mine"), dedupe_key=f"certificate-expiry:{certificate.id}:{step}"))
    return sent
