"""Issuing: each criterion blocks the certificate while unmet; the code, token, snapshot and revocation."""
from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.certificates import services
from app.certificates.codes import normalise_code
from app.certificates.models import Certificate, CertificationRule, RevocationReason
from app.core.db import utcnow
from app.courses.models import Lesson, LessonProgress
from app.extensions import db
from tests.courses_support import content_path, demo_course  # noqa: F401  (fixtures)


@pytest.fixture
def request_context(app):
    """The evaluator speaks the reader's language and links pages, as it does in a request or a CLI run."""
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        yield


@pytest.fixture
def setup(db_session, request_context, demo_course, make_user, make_cohort):
    from app.courses.services import give_course

    trainee = make_user("trainee", full_name="Rosa Pérez")
    trainer = make_user("trainer")
    cohort = make_cohort(members={"trainee": [trainee], "trainer": [trainer]})
    give_course(cohort, demo_course, "es")
    return trainee, trainer, cohort, demo_course


def _rule(course, org_id, criteria, months=24):
    rule = CertificationRule(course_id=course.id, organisation_id=org_id, criteria=criteria, validity_months=months)
    db.session.add(rule)
    db.session.flush()
    return rule


def _finish_lessons(trainee, course):
    for lesson in db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id)):
        db.session.add(LessonProgress(user_id=trainee.id, lesson_id=lesson.id))
    db.session.flush()


@pytest.mark.parametrize("criteria", [
    {"lessons": "all"},
    {"attendance_percent": 80},
    {"post_test": True},
    {"competency": {"tool": "foundational-helping-skills", "min_level": 3, "stage": "post"}},
    {"practice_cases": {"intervention": "pm_plus", "count": 2}},
    {"supervision_hours": 6},
])
def test_each_unmet_criterion_blocks_issuing(setup, criteria):
    trainee, trainer, cohort, course = setup
    _rule(course, trainee.organisation_id, criteria)
    with pytest.raises(services.CertificationError) as error:
        services.issue_certificate(trainee, course, issued_by=trainer, cohort=cohort)
    assert [c.key for c in error.value.unmet] == [next(iter(criteria)).replace("_percent", "")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 0


def test_lessons_then_attendance_met_issues(setup, make_day):
    from app.training.models import Attendance, AttendanceStatus

    trainee, trainer, cohort, course = setup
    _rule(course, trainee.organisation_id, {"lessons": "all", "attendance_percent": 50})
    _finish_lessons(trainee, course)
    with pytest.raises(services.CertificationError):  # no training day held yet
        services.issue_certificate(trainee, course, issued_by=trainer, cohort=cohort)
    day = make_day(cohort)
    db.session.add(Attendance(training_day_id=day.id, trainee_id=trainee.id, status=AttendanceStatus.PRESENT))
    db.session.flush()
    certificate = services.issue_certificate(trainee, course, issued_by=trainer, cohort=cohort)
    assert normalise_code(certificate.code.lower().replace("-", " ")) == certificate.code
    assert len(certificate.token) >= 22 and len(base64.urlsafe_b64decode(certificate.token + "==")) * 8 >= 128
    assert certificate.snapshot["name"] == "Rosa Pérez"
    assert certificate.snapshot["course_version"] == course.version
    assert {e["key"] for e in certificate.snapshot["evidence"]} == {"lessons", "attendance"}
    assert certificate.valid_until.date() >= (utcnow() + timedelta(days=729)).date()
    with pytest.raises(services.CertificationError):  # never twice while valid
        services.issue_certificate(trainee, course, issued_by=trainer, cohort=cohort)


def test_supervision_hours_count_submitted_sessions(setup, make_user, assign_supervisor):
    from app.supervision import services as supervision
    from app.supervision.models import Modality, SessionFormat

    trainee, trainer, cohort, course = setup
    _rule(course, trainee.organisation_id, {"supervision_hours": 1.5})
    supervisor = make_user("supervisor")
    assign_supervisor(supervisor, trainee, cohort)
    for minutes in (60, 30):
        data = supervision.SessionData(supervisee_ids=[trainee.id], format=SessionFormat.INDIVIDUAL,
                                       modality=Modality.PHONE, started_at=utcnow() - timedelta(days=1),
                                       duration_minutes=minutes)
        session = supervision.start_session(supervisor, data)
        state = services.path_state(trainee, course, cohort=cohort)
        assert not state.evaluation.is_eligible
        supervision.submit_session(session, data, supervisor)
    assert services.path_state(trainee, course, cohort=cohort).evaluation.is_eligible


def test_code_check_character_catches_typos():
    from app.certificates.codes import new_code

    code = new_code()
    assert normalise_code(code) == code
    body = code.replace("-", "")[3:]
    wrong = body[:5] + ("0" if body[5] != "0" else "1") + body[6:]
    assert normalise_code(wrong) is None


def test_revoke_needs_reason_and_is_audited(setup):
    from app.core.audit import AuditEvent

    trainee, trainer, cohort, course = setup
    _rule(course, trainee.organisation_id, {"lessons": "all"})
    _finish_lessons(trainee, course)
    certificate = services.issue_certificate(trainee, course, issued_by=trainer, cohort=cohort)
    with pytest.raises(services.CertificationError):
        services.revoke_certificate(certificate, trainer, RevocationReason.CONDUCT, "  ")
    services.revoke_certificate(certificate, trainer, RevocationReason.CONDUCT, "Harmful advice seen.")
    assert certificate.revoked_at is not None
    assert not services.is_valid(certificate, utcnow())
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "certificate.revoke")) is not None


def test_expiry_reminders_once_per_step_and_recertification(setup):
    from app.notifications.models import Notification

    trainee, trainer, cohort, course = setup
    rule = _rule(course, trainee.organisation_id, {"lessons": "all"}, months=1)
    rule.refresher = {"lessons": [db.session.scalar(sa.select(Lesson.slug).where(Lesson.course_id == course.id))]}
    _finish_lessons(trainee, course)
    certificate = services.issue_certificate(trainee, course, issued_by=trainer, cohort=cohort)
    certificate.valid_until = utcnow() + timedelta(days=20)
    db.session.flush()
    assert services.expiring_soon(trainee.organisation_id) == [certificate]
    assert services.send_expiry_reminders() == 1
    assert services.send_expiry_reminders() == 0
    assert db.session.scalar(sa.select(Notification.dedupe_key).where(Notification.user_id == trainee.id)) == (
        f"certificate-expiry:{certificate.id}:30")
    state = services.path_state(trainee, course, cohort=cohort)
    # The refresher lesson was done before the first certificate: it must be done again.
    assert state.is_recertification and not state.can_be_issued
    [lessons] = [c for c in state.evaluation.criteria if c.key == "lessons"]
    assert not lessons.met and lessons.evidence == "0 of 1 lessons done."
    from app.courses.services import mark_lesson_done

    refresher = db.session.scalar(sa.select(Lesson).where(Lesson.slug == rule.refresher["lessons"][0],
                                                          Lesson.course_id == course.id))
    assert mark_lesson_done(trainee, refresher) is False  # done before: now reviewed again
    state = services.path_state(trainee, course, cohort=cohort)
    assert state.is_recertification and state.can_be_issued
    renewal = services.issue_certificate(trainee, course, issued_by=trainer, cohort=cohort)
    assert renewal.previous_id == certificate.id
    assert certificate not in services.expiring_soon(trainee.organisation_id)  # renewed
