"""Reading quiz results for a cohort: who may be listed, grades per learner, pre/post pairs, item rows.

Read-only queries; the arithmetic lives in ``statistics``. An attempt counts for a cohort when it
is finished, its learner is a current trainee of the cohort, and it was taken in that cohort (or
recorded without one). Item rows are streamed as plain tuples, never as ORM objects, so the
analysis of thousands of attempts stays fast.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa

from app.auth.models import User
from app.core.permissions import can_view_all_quiz_results
from app.courses.models import CohortCourse, Course
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, SupervisorAssignment
from app.quizzes import statistics
from app.quizzes.attempts import rules_for
from app.quizzes.quiz_sync import KIND_ORDER
from app.quizzes.models import (
    AttemptQuestion,
    AttemptStatus,
    GradingMethod,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizKind,
)



class AttemptScope(StrEnum):
    FIRST = "first"  # each learner's first finished attempt (Moodle's default)
    ALL = "all"


# -- who and what ------------------------------------------------------------------------------


def cohort_courses(cohort: Cohort) -> list[tuple[Course, list[Quiz]]]:
    """The courses given to the cohort, each with its quizzes (pre-test first, post-test last)."""
    courses = db.session.scalars(
        sa.select(Course).join(CohortCourse, CohortCourse.course_id == Course.id)
        .where(CohortCourse.cohort_id == cohort.id).order_by(Course.slug)
    ).all()
    quizzes = db.session.scalars(
        sa.select(Quiz).where(Quiz.course_id.in_([c.id for c in courses])).order_by(Quiz.slug)
    ).all()
    by_course: dict[int, list[Quiz]] = {c.id: [] for c in courses}
    for quiz in quizzes:
        by_course[quiz.course_id].append(quiz)
    for found in by_course.values():
        found.sort(key=lambda q: (KIND_ORDER[q.kind], q.slug))
    return [(course, by_course[course.id]) for course in courses]


def find_course(cohort: Cohort, course_slug: str) -> Course | None:
    """A course given to the cohort, by slug."""
    return db.session.scalar(
        sa.select(Course).join(CohortCourse, CohortCourse.course_id == Course.id)
        .where(CohortCourse.cohort_id == cohort.id, Course.slug == course_slug)
    )


def find_quiz(course: Course, quiz_slug: str) -> Quiz | None:
    return db.session.scalar(sa.select(Quiz).where(Quiz.course_id == course.id, Quiz.slug == quiz_slug))


def course_test(course: Course, kind: QuizKind) -> Quiz | None:
    """The course's pre-test or post-test (the first by slug if an author made several)."""
    return db.session.scalar(
        sa.select(Quiz).where(Quiz.course_id == course.id, Quiz.kind == kind).order_by(Quiz.slug).limit(1)
    )


@dataclass(frozen=True)
class GradingRule:
    pass_mark: float
    grading_method: GradingMethod


def grading_rule(quiz: Quiz, organisation_id: int) -> GradingRule:
    """The pass mark and grading method in force for an organisation (its own override of the quiz, if any)."""
    rules = rules_for(quiz, organisation_id)
    return GradingRule(float(rules.pass_mark), GradingMethod(rules.grading_method))


def visible_trainees(user: User, cohort: Cohort) -> list[User]:
    """The cohort's trainees whose results this user may read: all for its trainers and the
    organisation's admins, only their current supervisees for a supervisor."""
    query = (
        sa.select(User).join(CohortMember, CohortMember.user_id == User.id)
        .where(CohortMember.cohort_id == cohort.id, CohortMember.role == CohortRole.TRAINEE)
        .order_by(User.full_name, User.id)
    )
    if not can_view_all_quiz_results(user, cohort):
        query = query.where(User.id.in_(
            sa.select(SupervisorAssignment.trainee_id).where(
                SupervisorAssignment.supervisor_id == user.id, SupervisorAssignment.ended_at.is_(None),
                SupervisorAssignment.organisation_id == cohort.organisation_id)
        ))
    return list(db.session.scalars(query))


def _in_cohort(cohort: Cohort):
    """Attempts taken in this cohort (or recorded without a cohort) by its current trainees."""
    trainees = sa.select(CohortMember.user_id).where(
        CohortMember.cohort_id == cohort.id, CohortMember.role == CohortRole.TRAINEE)
    return sa.and_(
        QuizAttempt.user_id.in_(trainees),
        sa.or_(QuizAttempt.cohort_id == cohort.id, QuizAttempt.cohort_id.is_(None)),
    )


# -- results per learner -------------------------------------------------------------------------


@dataclass
class LearnerResult:
    trainee: User
    percents: list[float] = field(default_factory=list)  # finished attempts, in order
    waiting: int = 0  # submitted, an essay waits for grading
    in_progress: int = 0
    last_submitted: datetime | None = None
    grade: float | None = None
    passed: bool | None = None


def quiz_results(quiz: Quiz, cohort: Cohort, trainees: list[User]) -> list[LearnerResult]:
    """Each listed trainee's attempts and grade (the quiz's grading method over finished attempts)."""
    results = {t.id: LearnerResult(trainee=t) for t in trainees}
    rows = db.session.execute(
        sa.select(QuizAttempt.user_id, QuizAttempt.status, QuizAttempt.percent, QuizAttempt.submitted_at)
        .where(QuizAttempt.quiz_id == quiz.id, _in_cohort(cohort), QuizAttempt.user_id.in_(list(results)))
        .order_by(QuizAttempt.user_id, QuizAttempt.number)
    )
    for user_id, status, percent, submitted_at in rows:
        result = results[user_id]
        if status == AttemptStatus.FINISHED and percent is not None:
            result.percents.append(float(percent))
        elif status == AttemptStatus.IN_PROGRESS:
            result.in_progress += 1
        else:
            result.waiting += 1
        if submitted_at is not None and (result.last_submitted is None or submitted_at > result.last_submitted):
            result.last_submitted = submitted_at
    rule = grading_rule(quiz, cohort.organisation_id)
    for result in results.values():
        result.grade = statistics.quiz_grade(result.percents, rule.grading_method)
        result.passed = None if result.grade is None else result.grade >= rule.pass_mark
    return list(results.values())


def grades(quiz: Quiz | None, cohort: Cohort, trainees: list[User]) -> dict[int, float]:
    """Trainee id → graded percent, for those who have a grade."""
    if quiz is None:
        return {}
    return {r.trainee.id: r.grade for r in quiz_results(quiz, cohort, trainees) if r.grade is not None}


# -- pre/post ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrePostRow:
    trainee: User
    pre: float | None
    post: float | None

    @property
    def gain(self) -> float | None:
        return None if self.pre is None or self.post is None else self.post - self.pre

    @property
    def normalized_gain(self) -> float | None:
        return None if self.pre is None or self.post is None else statistics.normalized_gain(self.pre, self.post)


@dataclass(frozen=True)
class PrePostReport:
    pre_test: Quiz | None
    post_test: Quiz | None
    rows: list[PrePostRow]
    comparison: statistics.PairedComparison


def pre_post(course: Course, cohort: Cohort, trainees: list[User]) -> PrePostReport:
    """Each trainee's graded pre-test and post-test of the course, and the group's paired figures."""
    pre_test, post_test = course_test(course, QuizKind.PRE_TEST), course_test(course, QuizKind.POST_TEST)
    pre, post = grades(pre_test, cohort, trainees), grades(post_test, cohort, trainees)
    rows = [PrePostRow(t, pre.get(t.id), post.get(t.id)) for t in trainees]
    pairs = [(r.pre, r.post) for r in rows if r.pre is not None and r.post is not None]
    return PrePostReport(pre_test, post_test, rows, statistics.paired_comparison(pairs))


# -- item analysis ---------------------------------------------------------------------------------


def _analysed_attempts(quiz: Quiz, cohort: Cohort, scope: AttemptScope):
    """The ids of the finished attempts analysed: every one, or each learner's first."""
    finished = sa.and_(QuizAttempt.quiz_id == quiz.id, QuizAttempt.status == AttemptStatus.FINISHED,
                       _in_cohort(cohort))
    if scope is AttemptScope.ALL:
        return sa.select(QuizAttempt.id).where(finished)
    first = (sa.select(QuizAttempt.user_id, sa.func.min(QuizAttempt.number).label("number"))
             .where(finished).group_by(QuizAttempt.user_id).subquery())
    return (sa.select(QuizAttempt.id).join(first, sa.and_(first.c.user_id == QuizAttempt.user_id,
                                                          first.c.number == QuizAttempt.number))
            .where(QuizAttempt.quiz_id == quiz.id))


def waiting_attempts(quiz: Quiz, cohort: Cohort) -> int:
    """Submitted attempts left out of the analysis because an answer still waits for a grader."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.status == AttemptStatus.NEEDS_GRADING, _in_cohort(cohort))) or 0


def item_rows(quiz: Quiz, cohort: Cohort, scope: AttemptScope) -> Iterator[tuple[int, str, tuple, float, float]]:
    """(attempt, question key, (language, version id), fraction, mark) for every graded question."""
    # Core, not the ORM: plain rows without per-row entity processing.
    result = db.session.connection().execute(
        sa.select(AttemptQuestion.attempt_id, AttemptQuestion.question_key, QuizAttempt.language,
                  AttemptQuestion.question_version_id, sa.cast(AttemptQuestion.fraction, sa.Float),
                  sa.cast(AttemptQuestion.mark, sa.Float))
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .where(AttemptQuestion.attempt_id.in_(_analysed_attempts(quiz, cohort, scope)),
               AttemptQuestion.fraction.is_not(None))
        .order_by(AttemptQuestion.attempt_id, AttemptQuestion.position)
        .execution_options(yield_per=5000)
    )
    for partition in result.partitions():
        for attempt_id, key, language, version_id, fraction, mark in partition:
            yield attempt_id, key, (language, version_id), fraction, mark


def item_analysis(quiz: Quiz, cohort: Cohort, scope: AttemptScope) -> statistics.ItemAnalysis:
    return statistics.item_analysis(item_rows(quiz, cohort, scope))


def distribution_rows(quiz: Quiz, cohort: Cohort, scope: AttemptScope, key: str | None = None):
    """(key, (language, version id), qtype, snapshot, response, fraction) rows, one question or all.

    Snapshots are read as text and parsed once per distinct text: most attempts share a few.
    """
    query = (
        sa.select(AttemptQuestion.question_key, QuizAttempt.language, AttemptQuestion.question_version_id,
                  AttemptQuestion.qtype, sa.cast(AttemptQuestion.snapshot, sa.Text), AttemptQuestion.response,
                  sa.cast(AttemptQuestion.fraction, sa.Float))
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .where(AttemptQuestion.attempt_id.in_(_analysed_attempts(quiz, cohort, scope)),
               AttemptQuestion.fraction.is_not(None))
        .order_by(AttemptQuestion.attempt_id, AttemptQuestion.position)
        .execution_options(yield_per=5000)
    )
    if key is not None:
        query = query.where(AttemptQuestion.question_key == key)
    parsed: dict[str, dict] = {}
    for partition in db.session.connection().execute(query).partitions():
        for row_key, language, version_id, qtype, snapshot_text, response, fraction in partition:
            snapshot = parsed.get(snapshot_text)
            if snapshot is None:
                snapshot = parsed[snapshot_text] = json.loads(snapshot_text)
            yield row_key, (language, version_id), str(qtype), snapshot, response, fraction


def response_distribution(quiz: Quiz, cohort: Cohort, scope: AttemptScope, key: str | None = None):
    return statistics.response_distribution(distribution_rows(quiz, cohort, scope, key))


@dataclass(frozen=True)
class QuestionInfo:
    qtype: str
    name: str
    text: str


def question_info(quiz: Quiz, cohort: Cohort, keys: list[str]) -> dict[str, QuestionInfo]:
    """Each key's type, name and text as shown in one of the cohort's attempts (its latest)."""
    if not keys:
        return {}
    latest = (sa.select(sa.func.max(AttemptQuestion.id))
              .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
              .where(QuizAttempt.quiz_id == quiz.id, _in_cohort(cohort), AttemptQuestion.question_key.in_(keys))
              .group_by(AttemptQuestion.question_key))
    rows = db.session.execute(sa.select(AttemptQuestion.question_key, AttemptQuestion.qtype, AttemptQuestion.snapshot)
                              .where(AttemptQuestion.id.in_(latest)))
    return {key: QuestionInfo(str(qtype), snapshot.get("name", ""), snapshot.get("text", ""))
            for key, qtype, snapshot in rows}


def version_numbers(version_ids: set[int | None]) -> dict[int, int]:
    """Question version id → its number (v1, v2…), to label variants."""
    ids = [i for i in version_ids if i is not None]
    if not ids:
        return {}
    rows = db.session.execute(sa.select(QuestionVersion.id, QuestionVersion.number).where(QuestionVersion.id.in_(ids)))
    return {version_id: number for version_id, number in rows}


def attempt_counts(quizzes: list[Quiz], cohort: Cohort) -> dict[int, int]:
    """Quiz id → finished attempts in the cohort (for the cohort's list of quizzes)."""
    if not quizzes:
        return {}
    rows = db.session.execute(
        sa.select(QuizAttempt.quiz_id, sa.func.count()).where(
            QuizAttempt.quiz_id.in_([q.id for q in quizzes]), QuizAttempt.status == AttemptStatus.FINISHED,
            _in_cohort(cohort)).group_by(QuizAttempt.quiz_id))
    return {quiz_id: count for quiz_id, count in rows}
