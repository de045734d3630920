"""Automatic issuing (a course setting): a certificate as soon as a trainee becomes eligible.

Services send `evidence_changed` when a trainee's evidence changes (app/core/signals.py). During a
request the trainee ids are collected; after the view has answered (and committed), one piece of
background work checks them (certificates.jobs.submit: RQ, the worker thread, or inline in tests).
Nothing is written on a GET, and the trainee does not wait for a PDF to render. The evaluator is
asked again in the background, so a request that rolled back issues nothing.
`flask certificates auto-issue` does the same for everyone, for a cron job or after an import.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_app_context, has_request_context

from app.auth.models import User
from app.certificates import services
from app.certificates.models import Certificate, CertificationRule
from app.core.signals import evidence_changed
from app.courses.models import CohortCourse, Course
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole

_PENDING = "certification_due"


def _remember(_sender: Any, trainee_ids: set[int], **_: Any) -> None:
    if has_app_context() and has_request_context():
        g.setdefault(_PENDING, set()).update(trainee_ids)


def _after_request(response: Response) -> Response:
    due = g.pop(_PENDING, None)
    if due and response.status_code < 400:
        from app.certificates import jobs

        jobs.submit("auto", sorted(due))
    return response


def init_app(app: Flask) -> None:
    evidence_changed.connect(_remember, weak=False)
    app.after_request(_after_request)


def auto_courses_of(trainee_ids: Iterable[int]) -> list[tuple[int, int]]:
    """(trainee id, course id) pairs where the trainee's cohort gives a course set to issue automatically."""
    ids = sorted(set(trainee_ids))
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(CohortMember.user_id, CohortCourse.course_id, Cohort.organisation_id)
        .join(CohortCourse, CohortCourse.cohort_id == CohortMember.cohort_id)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .where(CohortMember.user_id.in_(ids), CohortMember.role == CohortRole.TRAINEE).distinct()).all()
    auto = {(course_id, organisation_id) for course_id, organisation_id in db.session.execute(
        sa.select(CertificationRule.course_id, CertificationRule.organisation_id)
        .where(CertificationRule.auto_issue.is_(True)))}
    # An organisation's own rule wins over the pack's (organisation_id NULL): ask rule_for when both exist.
    from app.certificates.rules import rule_for

    pairs = []
    for user_id, course_id, organisation_id in rows:
        if (course_id, organisation_id) in auto or (course_id, None) in auto:
            rule = rule_for(course_id, organisation_id)
            if rule is not None and rule.auto_issue:
                pairs.append((user_id, course_id))
    return sorted(set(pairs))


def issue_due(trainee_ids: Iterable[int] | None = None) -> list[Certificate]:
    """Issue every certificate now due (to these trainees, or to everyone); commits each one."""
    from app.certificates.jobs import request_like

    if trainee_ids is None:
        trainee_ids = db.session.scalars(sa.select(CohortMember.user_id)
                                         .where(CohortMember.role == CohortRole.TRAINEE).distinct())
    issued = []
    for user_id, course_id in auto_courses_of(trainee_ids):
        trainee, course = db.session.get(User, user_id), db.session.get(Course, course_id)
        with request_like(trainee.preferred_language):
            try:
                with db.session.begin_nested():
                    certificate = services.issue_if_due(trainee, course)
            except services.CertificationError:  # certified meanwhile by someone else
                certificate = None
            if certificate is None:
                continue
            db.session.commit()
            services.finalise_certificate(certificate)
            db.session.commit()
        issued.append(certificate)
    return issued
