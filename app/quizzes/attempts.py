"""Taking a quiz: start an attempt, save each answer as it is given, submit once, grade, mark essays.

The rules that keep an answer from ever being lost or counted twice live here:
- an attempt copies each question as shown (answer order included) into ``AttemptQuestion.snapshot``;
- every save and the submit first claim the attempt row with a conditional UPDATE (``... WHERE
  status = 'in_progress'``), so a save racing a submit either lands before the grade or is refused,
  and two submits at the same time grade once;
- the time limit is the server's: past ``deadline_at`` nothing is saved and the attempt is submitted
  with what was saved, on the next request or by ``flask quizzes close-expired``.
Services flush and never commit.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.signals import trainees_progressed
from app.core.i18n import _l
from app.extensions import db
from app.quizzes.gift import QuestionType
from app.quizzes.grading import grade_response
from app.quizzes.models import (
    AttemptQuestion,
    AttemptStatus,
    Question,
    QuestionBank,
    QuestionCategory,
    Quiz,
    QuizAttempt,
    QuizOverride,
)
from app.quizzes.quiz_sync import in_category
from app.quizzes.serialise import question_from_data

ZERO, HUNDRED = Decimal(0), Decimal(100)
SHUFFLED_TYPES = (QuestionType.MULTICHOICE, QuestionType.MULTIRESPONSE, QuestionType.MATCHING)


class QuizError(Exception):
    """A rule refused the action; ``message`` (lazy) is shown to the person."""

    def __init__(self, message: Any) -> None:
        super().__init__(message)
        self.message = message


class QuizClosedError(QuizError):
    """The quiz is not open now (not published, not yet open, or closed)."""


class NoAttemptsLeftError(QuizError):
    """The learner has used every attempt the quiz allows."""


class AttemptClosedError(QuizError):
    """The attempt no longer takes answers: it was submitted, or its time is up."""


# -- settings --------------------------------------------------------------------------------

def rules_for(quiz: Quiz, organisation_id: int) -> Quiz | QuizOverride:
    """The settings that apply in this organisation: its own, else the quiz's (same attribute names)."""
    override = db.session.scalar(sa.select(QuizOverride).where(
        QuizOverride.quiz_id == quiz.id, QuizOverride.organisation_id == organisation_id))
    return override or quiz


def is_open(rules: Quiz | QuizOverride, now: datetime) -> bool:
    return bool(rules.is_published) and (rules.opens_at is None or now >= rules.opens_at) and (
        rules.closes_at is None or now < rules.closes_at)


def check_open(rules: Quiz | QuizOverride, now: datetime) -> None:
    if not rules.is_published:
        raise QuizClosedError(_l("This quiz is not available."))
    if rules.opens_at is not None and now < rules.opens_at:
        raise QuizClosedError(_l("This quiz is not open yet."))
    if rules.closes_at is not None and now >= rules.closes_at:
        raise QuizClosedError(_l("This quiz is closed."))


# -- starting --------------------------------------------------------------------------------

def _banks(quiz: Quiz, organisation_id: int) -> dict[str, QuestionBank]:
    """The bank in each language it exists in; an organisation's own bank wins over the pack's."""
    rows = db.session.scalars(sa.select(QuestionBank).where(
        QuestionBank.slug == quiz.bank_slug, QuestionBank.archived_at.is_(None),
        sa.or_(QuestionBank.organisation_id.is_(None), QuestionBank.organisation_id == organisation_id),
    ).order_by(QuestionBank.organisation_id.is_(None)))
    banks: dict[str, QuestionBank] = {}
    for bank in rows:
        banks.setdefault(bank.language, bank)
    return banks


def attempt_language(quiz: Quiz, user: User, banks: dict[str, QuestionBank]) -> str:
    """The cohort's language for the course, else the learner's own, else the course's first that has the bank."""
    from app.courses.queries import study_language

    for language in (study_language(user, quiz.course), user.preferred_language, *quiz.course.languages,
                     *sorted(banks)):
        if language in banks:
            return language
    raise QuizError(_l("This quiz has no questions yet. Tell your trainer."))


def _learner_cohort_id(quiz: Quiz, user: User) -> int | None:
    from app.courses.models import CohortCourse
    from app.orgs.models import Cohort, CohortMember, CohortRole

    return db.session.scalar(
        sa.select(Cohort.id).join(CohortCourse, CohortCourse.cohort_id == Cohort.id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortCourse.course_id == quiz.course_id, CohortMember.user_id == user.id,
               CohortMember.role == CohortRole.TRAINEE, Cohort.organisation_id == user.organisation_id)
        .order_by(CohortCourse.id).limit(1))


def in_progress_attempt(quiz: Quiz, user: User) -> QuizAttempt | None:
    return db.session.scalar(sa.select(QuizAttempt).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id,
        QuizAttempt.status == AttemptStatus.IN_PROGRESS).order_by(QuizAttempt.number.desc()).limit(1))


def start_attempt(quiz: Quiz, user: User, *, now: datetime | None = None,
                  rng: random.Random | None = None) -> QuizAttempt:
    """The learner's attempt in progress, or a new one with its questions drawn, shuffled and snapshotted."""
    now = now or utcnow()
    # One learner starting twice at once (two tabs, a double tap) must make one attempt: lock their row.
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    current = in_progress_attempt(quiz, user)
    if current is not None and not close_if_expired(current, now):
        return current
    rules = rules_for(quiz, user.organisation_id)
    check_open(rules, now)
    used = db.session.scalar(sa.select(sa.func.count(QuizAttempt.id)).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)) or 0
    if rules.max_attempts is not None and used >= rules.max_attempts:
        raise NoAttemptsLeftError(_l("You have used all your attempts at this quiz."))
    banks = _banks(quiz, user.organisation_id)
    language = attempt_language(quiz, user, banks)
    rng = rng or random.SystemRandom()
    chosen = _draw_questions(quiz, banks[language], rng)
    if rules.shuffle_questions:
        rng.shuffle(chosen)
    deadline = None
    if rules.time_limit_minutes:
        deadline = now + timedelta(minutes=rules.time_limit_minutes)
    if rules.closes_at is not None:
        deadline = min(deadline, rules.closes_at) if deadline else rules.closes_at
    attempt = QuizAttempt(quiz_id=quiz.id, user_id=user.id, cohort_id=_learner_cohort_id(quiz, user),
                          number=used + 1, language=language, status=AttemptStatus.IN_PROGRESS, started_at=now,
                          deadline_at=deadline, current_page=0)
    db.session.add(attempt)
    for position, (question, mark) in enumerate(chosen):
        version = question.current_version
        snapshot = _shown(dict(version.data), rng if rules.shuffle_answers else None)
        attempt.questions.append(AttemptQuestion(
            position=position, question_version_id=version.id, question_key=question.key, qtype=version.qtype,
            snapshot=snapshot, mark=ZERO if version.qtype is QuestionType.DESCRIPTION else mark))
    db.session.flush()
    return attempt


def _draw_questions(quiz: Quiz, bank: QuestionBank, rng: random.Random) -> list[tuple[Question, Decimal]]:
    questions = {q.key: q for q in db.session.scalars(
        sa.select(Question).where(Question.bank_id == bank.id, Question.is_hidden.is_(False))
        .options(sa.orm.selectinload(Question.current_version))
        .order_by(Question.position))}
    categories = dict(db.session.execute(sa.select(QuestionCategory.id, QuestionCategory.path)
                                         .where(QuestionCategory.bank_id == bank.id)).all())
    fixed = {slot.question_key for slot in quiz.slots if slot.question_key}
    chosen: list[tuple[Question, Decimal]] = []
    taken: set[str] = set()
    for slot in quiz.slots:
        if slot.question_key:
            question = questions.get(slot.question_key)
            if question is None or question.current_version is None:
                raise QuizError(_l("A question of this quiz is missing from its bank. Tell your trainer."))
            chosen.append((question, slot.mark))
            taken.add(question.key)
            continue
        pool = [q for q in questions.values() if q.key not in taken and q.key not in fixed
                and q.current_version is not None and in_category(categories.get(q.category_id), slot.category_path)]
        if len(pool) < slot.draw_count:
            raise QuizError(_l("This quiz asks for more questions than its bank has. Tell your trainer."))
        for question in rng.sample(pool, slot.draw_count):
            chosen.append((question, slot.mark))
            taken.add(question.key)
    if not chosen:
        raise QuizError(_l("This quiz has no questions yet. Tell your trainer."))
    return chosen


def _shown(data: dict[str, Any], rng: random.Random | None) -> dict[str, Any]:
    """The question as this learner sees it: answers (or matching stems) in the order shown."""
    if rng is not None and data.get("qtype") in SHUFFLED_TYPES:
        key = "pairs" if data["qtype"] == QuestionType.MATCHING else "answers"
        items = list(data.get(key, []))
        rng.shuffle(items)
        data[key] = items
    return data


# -- saving answers --------------------------------------------------------------------------

def close_if_expired(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    """Submit an attempt whose time is up, with what was saved. True if this call closed it."""
    now = now or utcnow()
    if attempt.status is not AttemptStatus.IN_PROGRESS or attempt.deadline_at is None or now < attempt.deadline_at:
        return False
    return submit_attempt(attempt, now=now, reason="time_up")


def close_expired(now: datetime | None = None) -> int:
    """Submit every attempt whose time is up (``flask quizzes close-expired``). Returns how many."""
    now = now or utcnow()
    expired = db.session.scalars(sa.select(QuizAttempt).where(
        QuizAttempt.status == AttemptStatus.IN_PROGRESS, QuizAttempt.deadline_at.is_not(None),
        QuizAttempt.deadline_at <= now).order_by(QuizAttempt.id))
    return sum(close_if_expired(attempt, now) for attempt in list(expired))


def _claim(attempt: QuizAttempt, now: datetime, **values: Any) -> bool:
    """Update the attempt only while it is in progress and in time; takes its row lock until commit."""
    result = db.session.execute(
        sa.update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == AttemptStatus.IN_PROGRESS,
               sa.or_(QuizAttempt.deadline_at.is_(None), QuizAttempt.deadline_at > now))
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(attempt)
        return False
    for name, value in values.items():
        if not isinstance(value, sa.ColumnElement):
            sa.orm.attributes.set_committed_value(attempt, name, value)
    return True


def page_count(attempt: QuizAttempt, per_page: int) -> int:
    return max(1, -(-len(attempt.questions) // max(1, per_page)))


def locks_answers(rules: Quiz | QuizOverride) -> bool:
    """With immediate feedback an answer is final once checked (its feedback was shown)."""
    from app.quizzes.models import FeedbackTiming

    return rules.feedback_timing is FeedbackTiming.IMMEDIATE


def save_responses(attempt: QuizAttempt, responses: dict[int, Any], *, page: int | None = None,
                   now: datetime | None = None) -> int:
    """Store these responses (position -> response) and the page to resume at; returns how many changed."""
    now = now or utcnow()
    rules = rules_for(attempt.quiz, attempt.user.organisation_id)
    last_page = page_count(attempt, rules.questions_per_page) - 1
    resume = QuizAttempt.current_page if page is None else max(0, min(page, last_page))
    if not _claim(attempt, now, current_page=resume):
        if close_if_expired(attempt, now) or attempt.deadline_at and now >= attempt.deadline_at:
            raise AttemptClosedError(_l("Time is up. Your saved answers have been submitted."))
        raise AttemptClosedError(_l("This attempt has been submitted; it takes no more answers."))
    by_position = {aq.position: aq for aq in attempt.questions}
    changed = 0
    for position, response in responses.items():
        aq = by_position.get(position)
        if aq is None or aq.qtype is QuestionType.DESCRIPTION or aq.response == response:
            continue
        if locks_answers(rules) and aq.answered_at is not None:
            continue
        aq.response = response
        aq.answered_at = now if response is not None else None
        if locks_answers(rules) and aq.qtype.is_auto_graded and response is not None:
            _grade_question(aq)
        changed += 1
    db.session.flush()
    return changed


# -- submitting and grading ------------------------------------------------------------------

def response_for_grading(aq: AttemptQuestion) -> Any:
    """The stored JSON response in the shape grading expects (matching keys back to stem indices)."""
    response = aq.response
    if aq.qtype is QuestionType.MATCHING and isinstance(response, dict):
        return {int(index): text for index, text in response.items()}
    return response


def _grade_question(aq: AttemptQuestion) -> None:
    grade = grade_response(question_from_data(aq.snapshot), response_for_grading(aq))
    aq.fraction = grade.fraction
    aq.feedback = list(grade.feedback)


def submit_attempt(attempt: QuizAttempt, *, now: datetime | None = None, reason: str = "submitted") -> bool:
    """Submit and grade, once: False when another request submitted it first (nothing is changed then)."""
    now = now or utcnow()
    submitted_at = min(now, attempt.deadline_at) if attempt.deadline_at else now
    result = db.session.execute(
        sa.update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.status == AttemptStatus.IN_PROGRESS)
        .values(status=AttemptStatus.NEEDS_GRADING, submitted_at=submitted_at)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.refresh(attempt)
        return False
    db.session.refresh(attempt)
    for aq in attempt.questions:
        if aq.qtype.is_auto_graded:
            _grade_question(aq)
        elif aq.qtype is QuestionType.ESSAY and not (aq.response or "").strip():
            aq.fraction, aq.feedback = ZERO, []  # nothing written: nothing for a trainer to mark
    _finish_if_graded(attempt, now)
    audit.record("quiz_attempt.submitted", attempt, organisation_id=attempt.user.organisation_id,
                 after={"reason": reason, "status": attempt.status.value,
                        "percent": None if attempt.percent is None else str(attempt.percent)})
    db.session.flush()
    return True


def _finish_if_graded(attempt: QuizAttempt, now: datetime) -> None:
    scored = [aq for aq in attempt.questions if aq.qtype is not QuestionType.DESCRIPTION]
    if any(aq.fraction is None for aq in scored):
        attempt.status = AttemptStatus.NEEDS_GRADING
        return
    total = sum((aq.fraction * aq.mark for aq in scored), ZERO)
    maximum = sum((aq.mark for aq in scored), ZERO)
    total = max(total, ZERO)
    attempt.score = total.quantize(Decimal("0.0001"))
    attempt.max_score = maximum
    attempt.percent = (total / maximum * HUNDRED).quantize(Decimal("0.0001")) if maximum else HUNDRED
    attempt.status = AttemptStatus.FINISHED
    attempt.graded_at = now
    trainees_progressed([attempt.user_id])


@dataclass(frozen=True)
class EssayMark:
    mark: Decimal
    comment: str | None = None


def grade_essays(attempt: QuizAttempt, marks: dict[int, EssayMark], grader: User,
                 now: datetime | None = None) -> None:
    """A trainer's marks for the attempt's essays (AttemptQuestion id -> mark); the attempt finishes when all are in."""
    now = now or utcnow()
    if attempt.status is AttemptStatus.IN_PROGRESS:
        raise QuizError(_l("This attempt has not been submitted yet."))
    essays = {aq.id: aq for aq in attempt.questions if aq.qtype is QuestionType.ESSAY}
    before = {str(i): None if aq.fraction is None else str(aq.fraction * aq.mark) for i, aq in essays.items()}
    for aq_id, given in marks.items():
        aq = essays.get(aq_id)
        if aq is None:
            raise QuizError(_l("That question is not an essay of this attempt."))
        if not ZERO <= given.mark <= aq.mark:
            raise QuizError(_l("Give a mark from 0 to %(max)s.", max=f"{aq.mark.normalize():f}"))
        aq.fraction = (given.mark / aq.mark) if aq.mark else ZERO
        aq.graded_by_id = grader.id
        aq.grader_comment = (given.comment or "").strip() or None
    _finish_if_graded(attempt, now)
    audit.record("quiz_attempt.graded", attempt, organisation_id=attempt.user.organisation_id, before=before,
                 after={str(i): None if aq.fraction is None else str(aq.fraction * aq.mark) for i, aq in essays.items()},
                 actor_id=grader.id)
    db.session.flush()
