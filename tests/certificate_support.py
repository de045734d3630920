"""A small certificate factory for the PDF, verification and job tests: rows made directly, as issued."""
from __future__ import annotations

import itertools
import secrets
from datetime import timedelta

import pytest

_counter = itertools.count(1)


@pytest.fixture
def make_course(db_session):
    from app.courses.models import Course

    def make(title: str = "Problem Management Plus", **fields) -> Course:
        n = next(_counter)
        course = Course(slug=f"cert-course-{n}", version=fields.pop("version", "1.2"), languages=["es", "en"],
                        title={"en": title, "es": fields.pop("title_es", title)}, **fields)
        db_session.add(course)
        db_session.flush()
        return course

    return make


@pytest.fixture
def make_certificate(db_session, make_course):
    from app.certificates.codes import new_code
    from app.certificates.models import Certificate
    from app.core.db import utcnow

    def make(trainee, course=None, *, language: str = "en", name: str | None = None, valid_days: int | None = 730,
             issued_days_ago: int = 0, cohort=None, **fields) -> Certificate:
        course = course or make_course()
        issued = utcnow() - timedelta(days=issued_days_ago)
        certificate = Certificate(
            organisation_id=trainee.organisation_id, course_id=course.id, trainee_id=trainee.id,
            cohort_id=cohort.id if cohort else None,
            code=fields.pop("code", None) or new_code(),
            token=fields.pop("token", secrets.token_urlsafe(24)), language=language,
            issued_at=issued, valid_from=issued,
            valid_until=issued + timedelta(days=valid_days) if valid_days is not None else None,
            snapshot=fields.pop("snapshot", None) or {
                "name": name or trainee.full_name,
                "course": {"title": course.title_in(language), "version": course.version},
                "organisation": {"name": trainee.organisation.name},
                "signatories": [{"name": "Dra. Lucía Gómez Pérez", "title": "Coordinadora clínica"}],
            },
            **fields,
        )
        db_session.add(certificate)
        db_session.flush()
        return certificate

    return make


@pytest.fixture
def issued_certificate(db_session, make_certificate):
    """A certificate with its PDF rendered and stored, as issuing leaves it."""
    from app.certificates.pdf import render_certificate_pdf
    from app.certificates.storage import store_pdf

    def make(trainee, **kwargs):
        certificate = make_certificate(trainee, **kwargs)
        store_pdf(certificate, render_certificate_pdf(certificate))
        db_session.flush()
        return certificate

    return make
