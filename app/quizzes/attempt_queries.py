"""Read-only questions about quizzes and attempts: a learner's state, a quiz grade, what a review shows.

No writes here, so GET pages stay safe; the one exception is closing an expired attempt,
which the views ask the services for explicitly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db
from app.quizzes import statistics
from app.quizzes.attempts import is_open, rules_for
from app.quizzes.models import (
    AttemptQuestion,
    AttemptStatus,
    FeedbackTiming,
    GradingMethod,
    Quiz,
    QuizAttempt,
    QuizKind,
    QuizOverride,
)
from app.quizzes.quiz_sync import KIND_ORDER


def quiz_grade(method: GradingMethod, attempts: list[QuizAttempt]) -> Decimal | None:
    """The learner's grade for the quiz (percent) from their finished attempts, per the grading method."""
    done = sorted((a for a in attempts if a.status is AttemptStatus.FINISHED and a.percent is not None),
                  key=lambda a: a.number)
    if not done:
        return None
    grade = statistics.quiz_grade([a.percent for a in done], method.value)
    return grade.quantize(Decimal("0.0001")) if method is GradingMethod.AVERAGE else grade


@dataclass
class QuizState:
    """Where one learner stands with one quiz, for the course page and the quiz page."""

    quiz: Quiz
    rules: Quiz | QuizOverride
    attempts: list[QuizAttempt] = field(default_factory=list)
    grade: Decimal | None = None
    is_open: bool = False

    @property
    def in_progress(self) -> QuizAttempt | None:
        return next((a for a in self.attempts if a.status is AttemptStatus.IN_PROGRESS), None)

    @property
    def waiting(self) -> bool:
        return any(a.status is AttemptStatus.NEEDS_GRADING for a in self.attempts)

    @property
    def passed(self) -> bool:
        return self.grade is not None and self.grade >= self.rules.pass_mark

    @property
    def attempts_left(self) -> int | None:
        if self.rules.max_attempts is None:
            return None
        return max(0, self.rules.max_attempts - len(self.attempts))

    @property
    def can_start(self) -> bool:
        return self.in_progress is None and self.is_open and self.attempts_left != 0

    @property
    def status(self) -> str:
        """not_started | in_progress | waiting | passed | not_passed (for the badge)."""
        if self.in_progress is not None:
            return "in_progress"
        if self.grade is not None:
            return "passed" if self.passed else "not_passed"
        if self.waiting:
            return "waiting"
        return "not_started"


def learner_attempts(quiz: Quiz, user: User) -> list[QuizAttempt]:
    return list(db.session.scalars(sa.select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id).order_by(QuizAttempt.number)))


def quiz_state(quiz: Quiz, user: User, now: datetime) -> QuizState:
    rules = rules_for(quiz, user.organisation_id)
    attempts = learner_attempts(quiz, user)
    return QuizState(quiz, rules, attempts, quiz_grade(rules.grading_method, attempts), is_open(rules, now))


def course_quizzes(course, user: User, now: datetime, *, published_only: bool = True) -> list[QuizState]:
    """The course's quizzes, pre-test first and post-test last, each with this user's state."""
    quizzes = list(db.session.scalars(sa.select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.id)))
    states = [quiz_state(quiz, user, now) for quiz in quizzes]
    if published_only:
        states = [s for s in states if s.rules.is_published]
    module_order = {m.id: m.position for m in course.modules}
    return sorted(states, key=lambda s: (KIND_ORDER.get(s.quiz.kind, 1), module_order.get(s.quiz.module_id, -1),
                                         s.quiz.id))


def waiting_pre_tests(user: User, courses: list, now: datetime) -> list[QuizState]:
    """Pre-tests of the learner's courses that are open and not yet taken, for the home page."""
    waiting = []
    for course in courses:
        for state in course_quizzes(course, user, now):
            if state.quiz.kind is QuizKind.PRE_TEST and not state.attempts and state.can_start:
                waiting.append(state)
    return waiting


@dataclass(frozen=True)
class ReviewOptions:
    """What a review shows: the marks, and the right answers with feedback."""

    marks: bool
    feedback: bool


def review_options(attempt: QuizAttempt, rules: Quiz | QuizOverride, now: datetime, *, is_staff: bool) -> ReviewOptions:
    if is_staff:
        return ReviewOptions(True, True)
    if attempt.status is AttemptStatus.IN_PROGRESS:
        return ReviewOptions(False, False)
    if rules.feedback_timing is FeedbackTiming.AFTER_CLOSE:
        closed = rules.closes_at is not None and now >= rules.closes_at
        return ReviewOptions(closed, closed)
    return ReviewOptions(True, True)


def grading_queue(quiz: Quiz, cohort_ids: list[int] | None, organisation_id: int) -> list[QuizAttempt]:
    """Submitted attempts with an essay still to mark, oldest first (``cohort_ids`` None: the whole organisation)."""
    query = (sa.select(QuizAttempt).join(User, User.id == QuizAttempt.user_id)
             .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.status == AttemptStatus.NEEDS_GRADING,
                    User.organisation_id == organisation_id)
             .order_by(QuizAttempt.submitted_at, QuizAttempt.id))
    if cohort_ids is not None:
        query = query.where(QuizAttempt.cohort_id.in_(cohort_ids or [-1]))
    return list(db.session.scalars(query))


def trainer_cohort_ids(user: User) -> list[int]:
    from app.orgs.models import Cohort, CohortMember, CohortRole

    return list(db.session.scalars(sa.select(CohortMember.cohort_id).join(Cohort, Cohort.id == CohortMember.cohort_id)
                                   .where(CohortMember.user_id == user.id, CohortMember.role == CohortRole.TRAINER,
                                          Cohort.organisation_id == user.organisation_id)))


def essays_of(attempt: QuizAttempt) -> list[AttemptQuestion]:
    from app.quizzes.gift import QuestionType

    return [aq for aq in attempt.questions if aq.qtype is QuestionType.ESSAY]
