"""The evaluator's evidence and "where to go next", as the trainee reads them on My path."""
from __future__ import annotations

import sqlalchemy as sa

from app.certificates.evaluator import evaluate
from app.certificates.models import CertificationRule
from app.courses.models import Lesson, LessonProgress
from app.extensions import db
from tests.courses_support import content_path, demo_course  # noqa: F401  (fixtures)


def test_evidence_and_next_step(app, db_session, demo_course, make_user, make_cohort, make_day):
    from app.courses.services import give_course
    from app.training.models import Attendance, AttendanceStatus

    trainee = make_user("trainee")
    cohort = make_cohort(members={"trainee": [trainee]})
    give_course(cohort, demo_course, "es")
    lessons = list(db.session.scalars(sa.select(Lesson).where(Lesson.course_id == demo_course.id)
                                      .order_by(Lesson.module_id, Lesson.position)))
    db.session.add(LessonProgress(user_id=trainee.id, lesson_id=lessons[0].id))
    for status in (AttendanceStatus.PRESENT, AttendanceStatus.ABSENT):
        db.session.add(Attendance(training_day_id=make_day(cohort).id, trainee_id=trainee.id, status=status))
    rule = CertificationRule(course_id=demo_course.id, organisation_id=trainee.organisation_id,
                             criteria={"lessons": "all", "attendance_percent": 50, "supervision_hours": 1})
    db.session.add(rule)
    db.session.flush()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        result = evaluate(trainee, demo_course, rule)
    lessons_row, attendance, supervision = result.criteria
    assert not lessons_row.met and lessons_row.evidence == f"1 of {len(lessons)} lessons done."
    assert lessons_row.next_url == f"/courses/{demo_course.slug}/lessons/{lessons[1].slug}"
    assert attendance.met and attendance.evidence == "Attendance 50%: present 1 of 2 days."
    assert not supervision.met and supervision.evidence == "0 hours recorded." and supervision.next_url
    assert not result.is_eligible and result.met_count == 1
