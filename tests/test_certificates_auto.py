"""Automatic issuing happens where evidence changes, after the request; never on a GET; only when set."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.certificates.models import Certificate, CertificationRule
from app.courses.models import Lesson, LessonProgress
from app.extensions import db
from app.notifications.models import Notification
from tests.conftest import post_form
from tests.courses_support import content_path, demo_course  # noqa: F401  (fixtures)


@pytest.fixture
def world(app, monkeypatch, db_session, demo_course, make_user, make_cohort):
    """A trainee one lesson short of a course whose rule needs every lesson."""
    from app.courses.services import give_course

    monkeypatch.setitem(app.config, "CERTIFICATE_JOBS", "inline")  # a worker cannot see the test's transaction
    trainee = make_user("trainee", full_name="Rosa Quispe")
    cohort = make_cohort(members={"trainee": [trainee], "trainer": [make_user("trainer")]})
    give_course(cohort, demo_course, "en")
    rule = CertificationRule(course_id=demo_course.id, organisation_id=trainee.organisation_id,
                             criteria={"lessons": "all"}, validity_months=24, auto_issue=True,
                             signatories=[{"name": "Dra. Lucía Gómez", "title": "Coordinadora"}])
    db_session.add(rule)
    lessons = list(db_session.scalars(sa.select(Lesson).where(Lesson.course_id == demo_course.id)
                                      .order_by(Lesson.position)))
    for lesson in lessons[:-1]:
        db_session.add(LessonProgress(user_id=trainee.id, lesson_id=lesson.id))
    db_session.flush()
    return trainee, demo_course, rule, lessons[-1]


def _certificates(trainee) -> list[Certificate]:
    return list(db.session.scalars(sa.select(Certificate).where(Certificate.trainee_id == trainee.id)))


def test_finishing_the_last_lesson_issues_the_certificate_and_tells_the_trainee(client, login, world):
    trainee, course, _rule, last = world
    login(trainee)
    answer = post_form(client, f"/courses/{course.slug}/lessons/{last.slug}/done", {})
    assert answer.status_code in (200, 302, 303)
    [certificate] = _certificates(trainee)
    assert certificate.pdf_path and certificate.credential  # rendered and signed, once
    assert certificate.issued_by_id is None
    notice = db.session.scalar(sa.select(Notification).where(Notification.user_id == trainee.id,
                                                             Notification.kind == "certificates.issued"))
    assert notice is not None and notice.params["code"] == certificate.code
    page = client.get("/certificates/mine").get_data(as_text=True)
    assert certificate.code in page


def test_the_path_page_never_issues(client, login, world):
    trainee, course, _rule, last = world
    db.session.add(LessonProgress(user_id=trainee.id, lesson_id=last.id))  # eligible, but not through a service
    db.session.flush()
    login(trainee)
    assert client.get("/certificates/mine").status_code == 200
    assert _certificates(trainee) == []


def test_without_the_setting_nothing_is_issued_automatically(client, login, world):
    trainee, course, rule, last = world
    rule.auto_issue = False
    db.session.flush()
    login(trainee)
    post_form(client, f"/courses/{course.slug}/lessons/{last.slug}/done", {})
    assert _certificates(trainee) == []


def test_a_step_that_leaves_a_criterion_unmet_issues_nothing(client, login, world):
    trainee, course, _rule, last = world
    first = db.session.scalar(sa.select(LessonProgress).where(LessonProgress.user_id == trainee.id))
    db.session.delete(first)
    db.session.flush()
    login(trainee)
    post_form(client, f"/courses/{course.slug}/lessons/{last.slug}/done", {})
    assert _certificates(trainee) == []


def test_the_cli_issues_what_is_due(app, world):
    trainee, _course, _rule, last = world
    db.session.add(LessonProgress(user_id=trainee.id, lesson_id=last.id))
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["certificates", "auto-issue"])
    assert result.exit_code == 0, result.output
    assert "1 certificate(s) issued." in result.output
    assert len(_certificates(trainee)) == 1
    again = app.test_cli_runner().invoke(args=["certificates", "auto-issue"])
    assert "0 certificate(s) issued." in again.output


def test_a_lesson_page_asks_for_a_review_while_the_certificate_is_due_for_renewal(client, login, world):
    from datetime import timedelta

    from app.certificates import services
    from app.core.db import utcnow

    trainee, course, rule, last = world
    rule.auto_issue = False
    db.session.add(LessonProgress(user_id=trainee.id, lesson_id=last.id))
    db.session.flush()
    from app.certificates.jobs import request_like

    with request_like():
        certificate = services.issue_certificate(trainee, course, issued_by=None)
    login(trainee)
    page = client.get(f"/courses/{course.slug}/lessons/{last.slug}").get_data(as_text=True)
    assert "You have finished this lesson." in page and "Mark as reviewed" not in page  # not due yet

    certificate.valid_until = utcnow() + timedelta(days=20)
    db.session.flush()
    page = client.get(f"/courses/{course.slug}/lessons/{last.slug}").get_data(as_text=True)
    assert "Your certificate is due for renewal." in page and "Mark as reviewed" in page
    post_form(client, f"/courses/{course.slug}/lessons/{last.slug}/done", {})
    page = client.get(f"/courses/{course.slug}/lessons/{last.slug}").get_data(as_text=True)
    assert "Reviewed for your renewal." in page and "Mark as reviewed" not in page
    assert db.session.scalar(sa.select(LessonProgress.reviewed_at).where(
        LessonProgress.user_id == trainee.id, LessonProgress.lesson_id == last.id)) is not None
