"""Quizzes and attempts built directly as rows, graded by the real grader, for the report tests."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from app.courses.models import Course
from app.courses.services import give_course
from app.extensions import db
from app.quizzes.gift import parse_gift
from app.quizzes.grading import grade_response
from app.quizzes.models import AttemptQuestion, AttemptStatus, Quiz, QuizAttempt
from app.quizzes.serialise import question_from_data, question_to_data

_counter = itertools.count(1)

# Three questions in GIFT, in Spanish; responses index the answers as written unless shuffled.
QUESTIONS = {
    "Q1": "::Q1::¿Quién puede dar PM+?{=Un ayudante formado ~Nadie ~Solo un psiquiatra}",
    "Q2": "::Q2::PM+ tiene cinco sesiones.{T}",
    "Q3": "::Q3::¿Cuántas sesiones tiene PM+?{#5}",
}
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)


def make_course(cohort=None, language: str = "es") -> Course:
    """A course of its own (no pack), given to the cohort when one is passed."""
    n = next(_counter)
    course = Course(slug=f"report-course-{n}", version="1.0.0", languages=["es", "en"],
                    title={"es": f"Curso {n}", "en": f"Course {n}"})
    db.session.add(course)
    db.session.flush()
    if cohort is not None:
        give_course(cohort, course, language)
    return course


def make_quiz(course: Course, slug: str = "pre-test", kind: str = "pre_test", pass_mark: int = 80,
              grading_method: str = "highest", title: dict | None = None) -> Quiz:
    quiz = Quiz(course_id=course.id, slug=slug, kind=kind, bank_slug="report-bank",
                title=title or {"es": f"Prueba {slug}", "en": f"Quiz {slug}"}, pass_mark=Decimal(pass_mark),
                grading_method=grading_method)
    db.session.add(quiz)
    db.session.flush()
    return quiz


def snapshot(gift: str, order: list[int] | None = None) -> dict:
    """A question as shown: its stored data, answers in the shown order."""
    data = question_to_data(parse_gift(gift).questions[0])
    if order is not None:
        data["answers"] = [data["answers"][i] for i in order]
    return data


def make_attempt(quiz: Quiz, user, cohort, responses: dict | None = None, percent: float | None = None,
                 status: str = "finished", number: int | None = None, language: str = "es",
                 submitted_at: datetime | None = None, orders: dict | None = None,
                 questions: dict | None = None, marks: dict | None = None) -> QuizAttempt:
    """A try at the quiz. With ``responses`` ({key: response}) each question is graded for real and
    the attempt's score adds up; with only ``percent`` the attempt has no questions."""
    if number is None:
        number = 1 + (db.session.scalar(db.select(db.func.max(QuizAttempt.number)).where(
            QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)) or 0)
    attempt = QuizAttempt(quiz_id=quiz.id, user_id=user.id, cohort_id=cohort.id if cohort else None, number=number,
                          language=language, status=AttemptStatus(status), started_at=T0,
                          submitted_at=None if status == "in_progress" else (submitted_at or T0 + timedelta(minutes=number)))
    db.session.add(attempt)
    db.session.flush()
    score = maximum = Decimal(0)
    for position, (key, response) in enumerate((responses or {}).items()):
        data = snapshot((questions or QUESTIONS)[key], (orders or {}).get(key))
        mark = Decimal((marks or {}).get(key, 1))
        fraction = grade_response(question_from_data(data), response).fraction
        db.session.add(AttemptQuestion(attempt_id=attempt.id, position=position, question_key=key,
                                       qtype=data["qtype"], snapshot=data, mark=mark, response=response,
                                       fraction=fraction))
        score += (fraction or 0) * mark
        maximum += mark
    if status == "finished":
        if responses:
            attempt.score, attempt.max_score = score, maximum
            attempt.percent = (100 * score / maximum).quantize(Decimal("0.0001"))
        elif percent is not None:
            attempt.score, attempt.max_score, attempt.percent = Decimal(percent), Decimal(100), Decimal(percent)
    db.session.flush()
    return attempt
