"""Changes to courses and progress. Services flush and never commit; views and commands commit."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.signals import trainees_progressed
from app.courses.models import CohortCourse, Course, Lesson, LessonProgress
from app.extensions import db
from app.orgs.models import Cohort


class CourseLanguageError(ValueError):
    """The course does not exist in the language asked for."""


def give_course(cohort: Cohort, course: Course, language: str) -> CohortCourse:
    """Give a cohort a course in one of the course's languages (changing the language if already given)."""
    if language not in course.languages:
        raise CourseLanguageError(f"course '{course.slug}' has no '{language}' version")
    given = db.session.scalar(
        sa.select(CohortCourse).where(CohortCourse.cohort_id == cohort.id, CohortCourse.course_id == course.id)
    )
    if given is None:
        given = CohortCourse(cohort_id=cohort.id, course_id=course.id, language=language)
        db.session.add(given)
    elif given.language != language:
        given.language = language
    db.session.flush()
    return given


def mark_lesson_done(user: User, lesson: Lesson) -> bool:
    """Record that the user finished the lesson. True the first time; a replay or a race counts once."""
    values = {"user_id": user.id, "lesson_id": lesson.id, "completed_at": utcnow()}
    dialect = db.session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(LessonProgress).values(**values)
            .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"])
            .returning(LessonProgress.id)
        )
        first = db.session.execute(statement).scalar_one_or_none() is not None
    else:
        try:
            with db.session.begin_nested():
                db.session.add(LessonProgress(**values))
            first = True
        except IntegrityError:
            first = False
    if not first:  # done before: this is a review (a refresher before recertification counts it)
        db.session.execute(sa.update(LessonProgress).where(
            LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id).values(reviewed_at=values["completed_at"]))
    trainees_progressed([user.id])
    return first


def give_course_to_cohort(cohort: Cohort, course: Course, language: str) -> CohortCourse:
    """give_course from the web: only open courses of the cohort's organisation (or packs), audited."""
    if course.organisation_id not in (None, cohort.organisation_id):
        raise CourseLanguageError(f"course '{course.slug}' belongs to another organisation")
    if course.archived_at is not None:
        raise CourseLanguageError(f"course '{course.slug}' is archived")
    given = give_course(cohort, course, language)
    audit.record("cohort.course_given", cohort, after={"course": course.slug, "language": language})
    return given


def take_course_back(cohort: Cohort, course: Course) -> bool:
    """The cohort no longer studies the course; its trainees' progress stays, should it be given again."""
    given = db.session.scalar(
        sa.select(CohortCourse).where(CohortCourse.cohort_id == cohort.id, CohortCourse.course_id == course.id)
    )
    if given is None:
        return False
    db.session.delete(given)
    db.session.flush()
    audit.record("cohort.course_taken_back", cohort, before={"course": course.slug, "language": given.language})
    return True
