"""Demo quiz results: the cohort's pre-test and post-test of PM+, so the reports have something to show.

Attempts go through the real services (start, save, submit), answers drawn from each learner's
skill with a fixed seed, so the figures are the same on every machine. The main demo trainee
(``trainee``) is left alone: her quizzes are hers to take. Idempotent: a learner who already
has an attempt at a quiz is skipped.
"""
from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.core.db import utcnow
from app.extensions import db
from app.orgs.models import Cohort
from app.quizzes.models import AttemptQuestion, Quiz, QuizAttempt, QuizKind

# Per learner (in demo order, the main trainee excluded): chance of a right answer on the pre-test,
# and on each post-test attempt (empty: not taken yet).
DEMO_SKILL = [
    (0.55, [0.95]), (0.45, [0.70, 0.90]), (0.70, [1.0]), (0.35, [0.60]), (0.60, [0.85]), (0.50, []),
    (0.40, [0.75, 0.80]), (0.65, [0.90]), (0.30, []), (0.55, [0.80]), (0.45, [0.65]), (0.75, [0.95]),
]
PRE_DAYS_AGO, POST_DAYS_AGO = 30, 3


def seed_quiz_results(cohort: Cohort, learners: list[User], course_slug: str = "pm-plus") -> None:
    """Finished pre- and post-test attempts for the listed learners, when the course has those quizzes."""
    from app.courses.models import Course

    course = db.session.scalar(sa.select(Course).where(Course.slug == course_slug))
    if course is None:
        return
    quizzes = {quiz.kind: quiz for quiz in db.session.scalars(sa.select(Quiz).where(Quiz.course_id == course.id))}
    pre, post = quizzes.get(QuizKind.PRE_TEST), quizzes.get(QuizKind.POST_TEST)
    if pre is None or post is None or not pre.slots or not post.slots:
        return
    rng = random.Random(2026)
    now = utcnow()
    for learner, (pre_skill, post_skills) in zip(learners, DEMO_SKILL):
        if _has_attempt(pre, learner):
            continue
        _take(pre, learner, pre_skill, now - timedelta(days=PRE_DAYS_AGO), rng)
        for tries, skill in enumerate(post_skills):
            _take(post, learner, skill, now - timedelta(days=POST_DAYS_AGO - tries), rng)


def _has_attempt(quiz: Quiz, learner: User) -> bool:
    return db.session.scalar(sa.select(QuizAttempt.id).where(
        QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == learner.id).limit(1)) is not None


def _take(quiz: Quiz, learner: User, skill: float, when, rng: random.Random) -> None:
    from app.quizzes.attempts import save_responses, start_attempt, submit_attempt

    attempt = start_attempt(quiz, learner, now=when, rng=rng)
    responses = {aq.position: _response(aq, rng.random() < skill, rng) for aq in attempt.questions}
    save_responses(attempt, responses, now=when + timedelta(minutes=20))
    submit_attempt(attempt, now=when + timedelta(minutes=25))


def _response(aq: AttemptQuestion, right: bool, rng: random.Random) -> Any:
    """A right or a wrong answer to the question as shown (answers in the shown order)."""
    data = aq.snapshot
    answers = data.get("answers") or []
    fractions = [float(a["fraction"]) for a in answers]
    match str(aq.qtype):
        case "multichoice":
            best = max(range(len(answers)), key=fractions.__getitem__)
            return best if right else rng.choice([i for i in range(len(answers)) if i != best] or [best])
        case "multiresponse":
            good = [i for i, f in enumerate(fractions) if f > 0]
            bad = [i for i, f in enumerate(fractions) if f <= 0]
            return good if right or not bad else good[:1] + bad[:1]
        case "truefalse":
            return (fractions[0] == 1) == right
        case "shortanswer":
            return answers[0]["text"].replace("*", "").strip() if right else "No sé"
        case "numerical":
            value = float(answers[0]["value"] or 0)
            return str(value if right else value + 2)
        case "matching":
            stems = [pair for pair in data.get("pairs") or [] if pair["question"]]
            chosen = [pair["answer"] for pair in stems]
            if not right and len(chosen) > 1:
                chosen = chosen[1:] + chosen[:1]
            return {str(index): text for index, text in enumerate(chosen)}
        case "essay":
            return "Escucharía con calma y preguntaría cómo puedo ayudar."
    return None
