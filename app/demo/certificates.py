"""Demo certification: a finished PFA cohort whose graduates earned their certificates through the real rule.

Every certificate here is issued by ``issue_certificate`` after the evidence exists (lessons, attendance,
post-test, post-training role play), so the demo never shows a certificate the rule would refuse.
Sofía is certified; Carlos's certificate expires within 30 days; Guadalupe's was revoked; José is
eligible (not issued yet: a trainer can issue it); Teresa lacks only her last lesson, and PFA issues
automatically, so finishing it certifies her; Patricia is blocked with visible reasons. The PM+ cohort
shows everyone blocked by the stricter PM+ rule.
"""
from __future__ import annotations

import random
from datetime import time, timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, CohortStatus, Organisation

COHORT_NAME = "PAP 2025 — Clínica Reforma"
CERTIFIED, EXPIRING, REVOKED, ELIGIBLE, BLOCKED = "sofia.aguilar", "carlos.mendez", "guadalupe.ruiz", (
    "teresa.moreno", "jose.lopez"), "patricia.cruz"
ONE_LESSON_SHORT = "teresa.moreno"  # the rest of her evidence is complete: her last lesson certifies her


def seed_certificates(org: Organisation, trainer: User, supervisor: User) -> None:
    from app.certificates.jobs import request_like
    from app.courses.models import Course

    course = db.session.scalar(sa.select(Course).where(Course.slug == "pfa"))
    if course is None or db.session.scalar(sa.select(Cohort.id).where(
            Cohort.organisation_id == org.id, Cohort.name == COHORT_NAME)) is not None:
        return
    people = {u.username: u for u in db.session.scalars(sa.select(User).where(
        User.organisation_id == org.id, User.username.in_([CERTIFIED, EXPIRING, REVOKED, *ELIGIBLE, BLOCKED])))}
    if len(people) < 6:
        return
    with request_like("es"):
        cohort = _cohort(org, course, trainer, supervisor, list(people.values()))
        ready = [people[u] for u in (CERTIFIED, EXPIRING, REVOKED, *ELIGIBLE)]
        _evidence(cohort, course, trainer, supervisor, ready, people[BLOCKED])
        _issue(course, cohort, trainer, people)


def _cohort(org: Organisation, course, trainer: User, supervisor: User, trainees: list[User]) -> Cohort:
    from app.courses.services import give_course
    from app.training.queries import local_today

    today = local_today()
    cohort = Cohort(organisation_id=org.id, name=COHORT_NAME, status=CohortStatus.ACTIVE,
                    starts_on=today - timedelta(days=40), ends_on=today + timedelta(days=10))
    db.session.add(cohort)
    db.session.flush()
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=trainer.id, role=CohortRole.TRAINER))
    db.session.add(CohortMember(cohort_id=cohort.id, user_id=supervisor.id, role=CohortRole.SUPERVISOR))
    for trainee in trainees:
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=trainee.id, role=CohortRole.TRAINEE))
    db.session.flush()
    give_course(cohort, course, "es")
    return cohort


def _evidence(cohort: Cohort, course, trainer: User, supervisor: User, ready: list[User], blocked: User) -> None:
    """Lessons, two training days, the post-test and a post-training role play for the ready ones;
    Patricia has half the lessons, missed a day and has not taken the post-test."""
    from app.competencies.models import AssessmentStage, CompetencyTool
    from app.courses.queries import visible_lessons
    from app.courses.services import mark_lesson_done
    from app.demo.competencies import _rate
    from app.demo.quiz_reports import _take
    from app.quizzes.models import Quiz, QuizKind
    from app.training.models import AttendanceStatus
    from app.training.queries import local_today
    from app.core.db import utcnow
    from app.training.services import DayData, Mark, create_training_day, record_attendance

    lessons = visible_lessons(course)
    for trainee in ready:
        for lesson in lessons if trainee.username != ONE_LESSON_SHORT else lessons[:-1]:
            mark_lesson_done(trainee, lesson)
    for lesson in lessons[: len(lessons) // 2]:
        mark_lesson_done(blocked, lesson)
    today = local_today()
    for offset, topic in ((-30, "Preparar, observar y escuchar"), (-23, "Conectar y cuidarse")):
        day = create_training_day(cohort, DayData(held_on=today + timedelta(days=offset), place="Clínica Reforma",
                                                  topic=topic, starts_at=time(9, 0), facilitator_id=trainer.id),
                                  trainer)
        marks = {t.id: Mark(AttendanceStatus.PRESENT, None) for t in ready}
        marks[blocked.id] = Mark(AttendanceStatus.ABSENT if offset == -23 else AttendanceStatus.PRESENT, None)
        record_attendance(day, marks, trainer, today=today)
    post = db.session.scalar(sa.select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == QuizKind.POST_TEST))
    rng = random.Random(7)
    if post is not None and post.slots:
        for trainee in ready:
            _take(post, trainee, 1.0, utcnow() - timedelta(days=20), rng)
    tool = db.session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == "pfa-action-skills"))
    if tool is not None:
        items = [i for i in tool.items if not i.is_hidden]
        for n, trainee in enumerate(ready):
            _rate(supervisor, trainee, tool, AssessmentStage.POST, [3 + (n + i) % 2 for i in range(len(items))],
                  cohort, today - timedelta(days=21))


def _issue(course, cohort: Cohort, trainer: User, people: dict[str, User]) -> None:
    from app.certificates.models import RevocationReason
    from app.certificates.services import (
        CertificationError,
        add_months,
        finalise_certificate,
        issue_certificate,
        revoke_certificate,
    )
    from app.core.db import utcnow

    issued = []
    try:
        issued.append(issue_certificate(people[CERTIFIED], course, issued_by=trainer, cohort=cohort,
                                        now=utcnow() - timedelta(days=18)))
        # Issued 23 months and some days ago: within 30 days of its 24-month expiry.
        issued.append(issue_certificate(people[EXPIRING], course, issued_by=trainer, cohort=cohort,
                                        now=add_months(utcnow(), -24) + timedelta(days=20)))
        revoked = issue_certificate(people[REVOKED], course, issued_by=trainer, cohort=cohort,
                                    now=utcnow() - timedelta(days=18))
        issued.append(revoked)
    except CertificationError:
        return  # content not fully synced (no post-test or tool): leave everyone on their path
    db.session.flush()
    for certificate in issued:
        finalise_certificate(certificate)
    revoke_certificate(revoked, trainer, RevocationReason.ISSUED_IN_ERROR,
                       "Se emitió antes de revisar la asistencia con la clínica.")
    db.session.flush()
