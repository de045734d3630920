"""The rows of each file of a research export, read from the database as a stream.

Each function yields tuples in the order of its file's columns (app/research/dictionary.py) for ONE
organisation. Queries select columns, never whole objects, and are read in batches with
``yield_per`` (a server-side cursor on PostgreSQL), so memory stays flat whatever the table's size.
Free text (notes, summaries, client codes, answers) is never selected.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.certificates.models import Certificate
from app.certificates.verification import status_of
from app.competencies.models import (
    Assessment,
    AssessmentStatus,
    Behaviour,
    BehaviourGroup,
    CompetencyItem,
    CompetencyTool,
    HarmFlag,
    ItemRating,
    Scenario,
)
from app.courses.models import (
    CohortCourse,
    Course,
    CourseModule,
    Lesson,
    LessonProgress,
)
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, RoleAssignment, Site
from app.practice.models import EntryStatus, PracticeCase, PracticeEntry
from app.quizzes.models import AttemptQuestion, QuestionVersion, Quiz, QuizAttempt
from app.supervision.models import (
    HIGH_RISK,
    SessionAttendee,
    SessionStatus,
    SupervisionCase,
    SupervisionSession,
)
from app.training.models import Attendance, TrainingDay

BATCH = 2000
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Context:
    organisation_id: int
    person: Callable[[int | None], int | str | None]  # a user id as the export shows it
    identified: bool
    now: datetime


def _stream(statement: sa.Select) -> Iterator[sa.Row]:
    """Rows in batches from the session's connection: Core rows, no ORM bookkeeping per row."""
    result = db.session.connection().execute(statement.execution_options(yield_per=BATCH))
    try:
        yield from result
    finally:
        result.close()


def _when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _joined(values: Any) -> str:
    return ";".join(str(v) for v in values or [])


def _split(text: str | None, key: Callable[[str], Any] = str) -> str:
    return ";".join(sorted(set(text.split(";")), key=key)) if text else ""


# -- people and cohorts ----------------------------------------------------------------------

def people(ctx: Context) -> Iterator[Row]:
    roles = (sa.select(sa.func.aggregate_strings(RoleAssignment.role, ";"))
             .where(RoleAssignment.user_id == User.id, RoleAssignment.organisation_id == ctx.organisation_id)
             .scalar_subquery())
    cohorts = (sa.select(sa.func.aggregate_strings(sa.cast(CohortMember.cohort_id, sa.String), ";"))
               .join(Cohort, Cohort.id == CohortMember.cohort_id)
               .where(CohortMember.user_id == User.id, CohortMember.role == CohortRole.TRAINEE,
                      Cohort.organisation_id == ctx.organisation_id)
               .scalar_subquery())
    statement = (sa.select(User.id, User.full_name, User.username, Site.name, roles, cohorts, User.created_at,
                           User.is_active_account)
                 .outerjoin(Site, Site.id == User.site_id)
                 .where(User.organisation_id == ctx.organisation_id).order_by(User.id))
    for user_id, name, username, site, role_list, cohort_list, created_at, active in _stream(statement):
        yield (ctx.person(user_id), name if ctx.identified else None, username if ctx.identified else None, site,
               _split(role_list), _split(cohort_list, int), created_at.astimezone(UTC).strftime("%Y-%m"),
               active)


def cohorts(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(Cohort.id, Cohort.name, Site.name, Cohort.status, Cohort.starts_on, Cohort.ends_on)
                 .outerjoin(Site, Site.id == Cohort.site_id)
                 .where(Cohort.organisation_id == ctx.organisation_id).order_by(Cohort.id))
    for cohort_id, name, site, status, starts_on, ends_on in _stream(statement):
        yield cohort_id, name, site, status, _day(starts_on), _day(ends_on)


def cohort_members(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(CohortMember.cohort_id, CohortMember.user_id, CohortMember.role, CohortMember.joined_at)
                 .join(Cohort, Cohort.id == CohortMember.cohort_id)
                 .where(Cohort.organisation_id == ctx.organisation_id)
                 .order_by(CohortMember.cohort_id, CohortMember.id))
    for cohort_id, user_id, role, joined_at in _stream(statement):
        yield cohort_id, ctx.person(user_id), role, _when(joined_at)


def cohort_courses(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(CohortCourse.cohort_id, Course.slug, Course.version, CohortCourse.language,
                           CohortCourse.created_at)
                 .join(Cohort, Cohort.id == CohortCourse.cohort_id).join(Course, Course.id == CohortCourse.course_id)
                 .where(Cohort.organisation_id == ctx.organisation_id)
                 .order_by(CohortCourse.cohort_id, CohortCourse.id))
    for cohort_id, course, version, language, given_at in _stream(statement):
        yield cohort_id, course, version, language, _when(given_at)


# -- lessons and training days ---------------------------------------------------------------

def lesson_progress(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(LessonProgress.user_id, Course.slug, CourseModule.slug, Lesson.slug,
                           LessonProgress.completed_at)
                 .join(User, User.id == LessonProgress.user_id).join(Lesson, Lesson.id == LessonProgress.lesson_id)
                 .join(Course, Course.id == Lesson.course_id).join(CourseModule, CourseModule.id == Lesson.module_id)
                 .where(User.organisation_id == ctx.organisation_id)
                 .order_by(LessonProgress.user_id, LessonProgress.id))
    for user_id, course, module, lesson, completed_at in _stream(statement):
        yield ctx.person(user_id), course, module, lesson, _when(completed_at)


def training_days(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(TrainingDay.id, TrainingDay.cohort_id, TrainingDay.held_on, TrainingDay.facilitator_id)
                 .join(Cohort, Cohort.id == TrainingDay.cohort_id)
                 .where(Cohort.organisation_id == ctx.organisation_id).order_by(TrainingDay.id))
    for day_id, cohort_id, held_on, facilitator_id in _stream(statement):
        yield day_id, cohort_id, _day(held_on), ctx.person(facilitator_id)


def attendance(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(Attendance.training_day_id, Attendance.trainee_id, Attendance.status,
                           Attendance.recorded_at)
                 .join(TrainingDay, TrainingDay.id == Attendance.training_day_id)
                 .join(Cohort, Cohort.id == TrainingDay.cohort_id)
                 .where(Cohort.organisation_id == ctx.organisation_id)
                 .order_by(Attendance.training_day_id, Attendance.id))
    for day_id, trainee_id, status, recorded_at in _stream(statement):
        yield day_id, ctx.person(trainee_id), status, _when(recorded_at)


# -- quizzes ---------------------------------------------------------------------------------

def quiz_attempts(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(QuizAttempt.id, QuizAttempt.user_id, QuizAttempt.cohort_id, Course.slug, Quiz.slug,
                           Quiz.kind, QuizAttempt.number, QuizAttempt.language, QuizAttempt.status,
                           QuizAttempt.started_at, QuizAttempt.submitted_at, QuizAttempt.graded_at,
                           QuizAttempt.score, QuizAttempt.max_score, QuizAttempt.percent)
                 .join(User, User.id == QuizAttempt.user_id).join(Quiz, Quiz.id == QuizAttempt.quiz_id)
                 .join(Course, Course.id == Quiz.course_id)
                 .where(User.organisation_id == ctx.organisation_id).order_by(QuizAttempt.id))
    for (attempt_id, user_id, cohort_id, course, quiz, kind, number, language, status, started_at, submitted_at,
         graded_at, score, max_score, percent) in _stream(statement):
        yield (attempt_id, ctx.person(user_id), cohort_id, course, quiz, kind, number, language, status,
               _when(started_at), _when(submitted_at), _when(graded_at), _number(score), _number(max_score),
               _number(percent))


def quiz_responses(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(AttemptQuestion.attempt_id, AttemptQuestion.position, AttemptQuestion.question_key,
                           QuestionVersion.number, AttemptQuestion.qtype, AttemptQuestion.mark,
                           AttemptQuestion.fraction, AttemptQuestion.answered_at)
                 .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
                 .join(User, User.id == QuizAttempt.user_id)
                 .outerjoin(QuestionVersion, QuestionVersion.id == AttemptQuestion.question_version_id)
                 .where(User.organisation_id == ctx.organisation_id)
                 .order_by(AttemptQuestion.attempt_id, AttemptQuestion.position))
    for attempt_id, position, key, version, qtype, mark, fraction, answered_at in _stream(statement):
        yield attempt_id, position, key, version, qtype, _number(mark), _number(fraction), _when(answered_at)


# -- competency ------------------------------------------------------------------------------

def _submitted(organisation_id: int) -> tuple[sa.ColumnElement[bool], ...]:
    return Assessment.organisation_id == organisation_id, Assessment.status == AssessmentStatus.SUBMITTED


def assessments(ctx: Context) -> Iterator[Row]:
    def at(level: int) -> sa.ColumnElement[Any]:
        return sa.func.sum(sa.case((ItemRating.level == level, 1), else_=0))

    levels = (sa.select(ItemRating.assessment_id.label("assessment_id"),
                        sa.func.count(ItemRating.level).label("rated"),
                        sa.func.sum(sa.case((ItemRating.not_observed.is_(True), 1), else_=0)).label("not_observed"),
                        at(1).label("l1"), at(2).label("l2"), at(3).label("l3"), at(4).label("l4"),
                        sa.func.min(ItemRating.level).label("lowest"))
              .join(Assessment, Assessment.id == ItemRating.assessment_id)
              .where(*_submitted(ctx.organisation_id)).group_by(ItemRating.assessment_id).subquery())
    statement = (sa.select(Assessment.id, Assessment.trainee_id, Assessment.assessor_id, CompetencyTool.slug,
                           Assessment.tool_version, Assessment.cohort_id, Assessment.stage, Assessment.method,
                           Scenario.slug, Assessment.rating_session_id, Assessment.observed_on,
                           Assessment.submitted_at, Assessment.amends_id, Assessment.superseded_at,
                           Assessment.has_harm, levels.c.rated, levels.c.not_observed, levels.c.l1, levels.c.l2,
                           levels.c.l3, levels.c.l4, levels.c.lowest)
                 .join(CompetencyTool, CompetencyTool.id == Assessment.tool_id)
                 .outerjoin(Scenario, Scenario.id == Assessment.scenario_id)
                 .outerjoin(levels, levels.c.assessment_id == Assessment.id)
                 .where(*_submitted(ctx.organisation_id)).order_by(Assessment.id))
    for row in _stream(statement):
        (assessment_id, trainee_id, rater_id, tool, version, cohort_id, stage, method, scenario, session_id,
         observed_on, submitted_at, amends_id, superseded_at, has_harm, *counts, lowest) = row
        yield (assessment_id, ctx.person(trainee_id), ctx.person(rater_id), tool, version, cohort_id, stage, method,
               scenario, session_id, _day(observed_on), _when(submitted_at), amends_id, _when(superseded_at),
               has_harm, *(int(c or 0) for c in counts), lowest)


def _items(organisation_id: int) -> dict[int, tuple[str, str, frozenset[str]]]:
    """item id -> (tool slug, item code, harmful behaviour codes) for the tools this organisation rated with."""
    used = sa.select(Assessment.tool_id).where(Assessment.organisation_id == organisation_id).distinct()
    harmful: dict[int, set[str]] = {}
    for item_id, code in db.session.execute(
            sa.select(Behaviour.item_id, Behaviour.code).join(CompetencyItem, CompetencyItem.id == Behaviour.item_id)
            .where(CompetencyItem.tool_id.in_(used), Behaviour.group == BehaviourGroup.HARMFUL)):
        harmful.setdefault(item_id, set()).add(code)
    rows = db.session.execute(sa.select(CompetencyItem.id, CompetencyTool.slug, CompetencyItem.code)
                              .join(CompetencyTool, CompetencyTool.id == CompetencyItem.tool_id)
                              .where(CompetencyItem.tool_id.in_(used)))
    return {item_id: (tool, code, frozenset(harmful.get(item_id, ()))) for item_id, tool, code in rows}


def item_ratings(ctx: Context) -> Iterator[Row]:
    items = _items(ctx.organisation_id)
    statement = (sa.select(ItemRating.assessment_id, ItemRating.item_id, ItemRating.not_observed, ItemRating.level,
                           ItemRating.behaviour_codes)
                 .join(Assessment, Assessment.id == ItemRating.assessment_id)
                 .where(*_submitted(ctx.organisation_id)).order_by(ItemRating.assessment_id, ItemRating.id))
    for assessment_id, item_id, not_observed, level, codes in _stream(statement):
        tool, code, harmful = items[item_id]
        codes = codes or []
        yield (assessment_id, tool, code, not_observed, level, _joined(codes),
               _joined(c for c in codes if c in harmful))


def harm_flags(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(HarmFlag.id, HarmFlag.trainee_id, CompetencyTool.slug, CompetencyItem.code, HarmFlag.status,
                           HarmFlag.behaviour_codes, HarmFlag.raised_at, HarmFlag.raised_by_id, HarmFlag.cleared_at,
                           HarmFlag.cleared_by_id)
                 .join(CompetencyItem, CompetencyItem.id == HarmFlag.item_id)
                 .join(CompetencyTool, CompetencyTool.id == CompetencyItem.tool_id)
                 .where(HarmFlag.organisation_id == ctx.organisation_id).order_by(HarmFlag.id))
    for flag_id, trainee_id, tool, item, status, codes, raised_at, raised_by, cleared_at, cleared_by in _stream(
            statement):
        yield (flag_id, ctx.person(trainee_id), tool, item, status, _joined(codes), _when(raised_at), raised_by,
               _when(cleared_at), cleared_by)


# -- supervision and practice ----------------------------------------------------------------

def supervision_sessions(ctx: Context) -> Iterator[Row]:
    def count(model: Any, *conditions: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
        return (sa.select(sa.func.count(model.id))
                .where(model.session_id == SupervisionSession.id, *conditions).scalar_subquery())

    statement = (sa.select(SupervisionSession.id, SupervisionSession.supervisor_id, Site.name,
                           SupervisionSession.cohort_id, SupervisionSession.format, SupervisionSession.modality,
                           SupervisionSession.started_at, SupervisionSession.duration_minutes,
                           SupervisionSession.topics, SupervisionSession.submitted_at, count(SessionAttendee),
                           count(SupervisionCase), count(SupervisionCase, SupervisionCase.risk_level.in_(HIGH_RISK)))
                 .outerjoin(Site, Site.id == SupervisionSession.site_id)
                 .where(SupervisionSession.organisation_id == ctx.organisation_id,
                        SupervisionSession.status == SessionStatus.SUBMITTED)
                 .order_by(SupervisionSession.id))
    for (session_id, supervisor_id, site, cohort_id, format_, modality, started_at, minutes, topics, submitted_at,
         attendees, cases, high_risk) in _stream(statement):
        yield (session_id, ctx.person(supervisor_id), site, cohort_id, format_, modality, _when(started_at), minutes,
               _joined(topics), _when(submitted_at), attendees, cases, high_risk)


def supervision_attendees(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(SessionAttendee.session_id, SessionAttendee.supervisee_id, SessionAttendee.acknowledged_at)
                 .join(SupervisionSession, SupervisionSession.id == SessionAttendee.session_id)
                 .where(SupervisionSession.organisation_id == ctx.organisation_id,
                        SupervisionSession.status == SessionStatus.SUBMITTED)
                 .order_by(SessionAttendee.session_id, SessionAttendee.id))
    for session_id, supervisee_id, acknowledged_at in _stream(statement):
        yield session_id, ctx.person(supervisee_id), _when(acknowledged_at)


def practice_cases(ctx: Context) -> Iterator[Row]:
    def with_status(status: EntryStatus) -> sa.ColumnElement[Any]:
        return sa.func.sum(sa.case((PracticeEntry.status == status, 1), else_=0))

    sent = (sa.select(PracticeEntry.case_id.label("case_id"), sa.func.count(PracticeEntry.id).label("sessions"),
                      with_status(EntryStatus.VERIFIED).label("verified"),
                      with_status(EntryStatus.SUBMITTED).label("waiting"),
                      with_status(EntryStatus.RETURNED).label("returned"),
                      sa.func.min(PracticeEntry.delivered_on).label("first"),
                      sa.func.max(PracticeEntry.delivered_on).label("last"))
            .where(PracticeEntry.organisation_id == ctx.organisation_id, PracticeEntry.status != EntryStatus.DRAFT)
            .group_by(PracticeEntry.case_id).subquery())
    statement = (sa.select(PracticeCase.id, PracticeCase.trainee_id, PracticeCase.intervention, sent.c.sessions,
                           sent.c.verified, sent.c.waiting, sent.c.returned, sent.c.first, sent.c.last)
                 .join(sent, sent.c.case_id == PracticeCase.id)
                 .where(PracticeCase.organisation_id == ctx.organisation_id).order_by(PracticeCase.id))
    for case_id, trainee_id, intervention, sessions, verified, waiting, returned, first, last in _stream(statement):
        yield (case_id, ctx.person(trainee_id), intervention, sessions, int(verified or 0), int(waiting or 0),
               int(returned or 0), _day(first), _day(last))


def practice_sessions(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(PracticeEntry.id, PracticeEntry.case_id, PracticeEntry.trainee_id,
                           PracticeEntry.session_number, PracticeEntry.delivered_on, PracticeEntry.duration_minutes,
                           PracticeEntry.mode, PracticeEntry.status, PracticeEntry.risk_flags,
                           PracticeEntry.outcome_before, PracticeEntry.outcome_after, PracticeEntry.submitted_at,
                           PracticeEntry.reviewed_at, PracticeEntry.reviewed_by_id)
                 .where(PracticeEntry.organisation_id == ctx.organisation_id, PracticeEntry.status != EntryStatus.DRAFT)
                 .order_by(PracticeEntry.id))
    for (entry_id, case_id, trainee_id, number, delivered_on, minutes, mode, status, risks, before, after,
         submitted_at, reviewed_at, reviewer_id) in _stream(statement):
        yield (entry_id, case_id, ctx.person(trainee_id), number, _day(delivered_on), minutes, mode, status,
               _joined(risks), before, after, _when(submitted_at), _when(reviewed_at), ctx.person(reviewer_id))


# -- certificates ----------------------------------------------------------------------------

def certificates(ctx: Context) -> Iterator[Row]:
    statement = (sa.select(Certificate.id, Certificate.trainee_id, Course.slug,
                           Certificate.snapshot["course_version"].as_string(), Certificate.cohort_id,
                           Certificate.issued_at, Certificate.valid_from, Certificate.valid_until,
                           Certificate.revoked_at, Certificate.revocation_reason, Certificate.previous_id)
                 .join(Course, Course.id == Certificate.course_id)
                 .where(Certificate.organisation_id == ctx.organisation_id).order_by(Certificate.id))
    for (certificate_id, trainee_id, course, version, cohort_id, issued_at, valid_from, valid_until, revoked_at,
         reason, previous_id) in _stream(statement):
        status = status_of(SimpleNamespace(revoked_at=revoked_at, valid_from=valid_from, valid_until=valid_until),
                           ctx.now)
        yield (certificate_id, ctx.person(trainee_id), course, version, cohort_id, _when(issued_at),
               _when(valid_from), _when(valid_until), status, _when(revoked_at), reason, previous_id)


ROWS: dict[str, Callable[[Context], Iterator[Row]]] = {
    "people.csv": people,
    "cohorts.csv": cohorts,
    "cohort_members.csv": cohort_members,
    "cohort_courses.csv": cohort_courses,
    "lesson_progress.csv": lesson_progress,
    "training_days.csv": training_days,
    "attendance.csv": attendance,
    "quiz_attempts.csv": quiz_attempts,
    "quiz_responses.csv": quiz_responses,
    "assessments.csv": assessments,
    "item_ratings.csv": item_ratings,
    "harm_flags.csv": harm_flags,
    "supervision_sessions.csv": supervision_sessions,
    "supervision_attendees.csv": supervision_attendees,
    "practice_cases.csv": practice_cases,
    "practice_sessions.csv": practice_sessions,
    "certificates.csv": certificates,
}
