"""The attempt lifecycle as services: start, save, resume, submit, grade per method, limits, time, essays."""
from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.core.audit import AuditEvent
from app.core.db import utcnow
from app.extensions import db
from app.quizzes import attempts as services
from app.quizzes.attempt_queries import ReviewOptions, quiz_grade, quiz_state, review_options
from app.quizzes.models import AttemptStatus, GradingMethod, Question, QuestionVersion, QuizAttempt
from app.quizzes.quiz_settings import QuizSettings, current_settings, update_quiz_settings
from tests.courses_support import content_path, demo_course, learning  # noqa: F401  (fixtures)
from tests.quiz_attempts_support import quizzing  # noqa: F401  (fixture)

# The right responses to the pre-test (DK-01..DK-06) when answers are not shuffled.
RIGHT = {0: 0, 1: False, 2: [0, 1], 3: "5", 4: "estrés",
         5: {"0": "Revisar la seguridad", "1": "Preguntar por las necesidades", "2": "Ayudar con necesidades prácticas"}}


@pytest.fixture(autouse=True)
def _request(app):
    """Error messages are translated when read, as they are in a request."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def _answer(attempt, responses, page=None):
    return services.save_responses(attempt, responses, page=page)


def test_start_snapshots_questions_in_the_cohort_language(quizzing):
    attempt = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    assert attempt.number == 1 and attempt.status is AttemptStatus.IN_PROGRESS
    assert attempt.language == "es"  # the cohort studies in Spanish; the trainee's own language is English
    assert attempt.cohort_id == quizzing["cohort"].id
    assert [aq.question_key for aq in attempt.questions] == ["DK-01", "DK-02", "DK-03", "DK-04", "DK-05", "DK-06"]
    assert attempt.questions[0].snapshot["text"] == "¿Qué hace primero un buen ayudante?"
    assert attempt.questions[0].question_version_id is not None


def test_starting_again_continues_the_attempt_in_progress(quizzing):
    first = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    again = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count(QuizAttempt.id))) == 1


def test_save_resume_and_submit_all_right(quizzing):
    attempt = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    _answer(attempt, {0: RIGHT[0], 1: RIGHT[1]}, page=1)
    assert attempt.current_page == 1
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)  # a closed tab comes back to the same page and answers
    assert attempt.current_page == 1
    assert attempt.questions[0].response == 0 and attempt.questions[1].response is False
    _answer(attempt, {i: RIGHT[i] for i in range(2, 6)}, page=2)
    assert services.submit_attempt(attempt) is True
    assert attempt.status is AttemptStatus.FINISHED
    assert attempt.score == Decimal(6) and attempt.max_score == Decimal(6) and attempt.percent == Decimal(100)
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(attempt.id))) == \
        "quiz_attempt.submitted"


def test_partial_and_wrong_answers_are_marked_like_moodle(quizzing):
    attempt = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    _answer(attempt, {0: 1, 1: True, 2: [0, 2], 3: "5,0", 4: "mucha tensión",
                      5: {"0": "Revisar la seguridad"}})
    services.submit_attempt(attempt)
    fractions = [aq.fraction for aq in attempt.questions]
    assert fractions == [0, 0, 0, 1, Decimal("0.5"), Decimal(1) / 3]
    assert attempt.questions[0].feedback == ["No. Los consejos pueden esperar."]
    assert attempt.percent == ((Decimal("1.5") + Decimal(1) / 3) / 6 * 100).quantize(Decimal("0.0001"))


def test_submit_twice_grades_once(quizzing):
    attempt = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    assert services.submit_attempt(attempt) is True
    assert services.submit_attempt(attempt) is False
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "quiz_attempt.submitted")).all()
    assert len(events) == 1


def test_no_answers_after_submit(quizzing):
    attempt = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    services.submit_attempt(attempt)
    with pytest.raises(services.AttemptClosedError):
        _answer(attempt, {0: 0})
    assert attempt.questions[0].response is None


def test_snapshot_keeps_the_result_when_the_question_is_edited_later(quizzing):
    attempt = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    _answer(attempt, {0: 0})
    services.submit_attempt(attempt)
    version = db.session.get(QuestionVersion, attempt.questions[0].question_version_id)
    data = dict(version.data)
    data["answers"] = [{**a, "fraction": "0"} for a in data["answers"]]  # an editor makes every answer wrong
    data["text"] = "Cambiada"
    version.data = data
    db.session.flush()
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.questions[0].fraction == 1
    assert attempt.questions[0].snapshot["text"] == "¿Qué hace primero un buen ayudante?"


def test_shuffled_answers_are_graded_in_the_order_shown(quizzing):
    quiz = quizzing["pre_test"]
    quiz.shuffle_answers = True
    attempt = services.start_attempt(quiz, quizzing["trainee"], rng=random.Random(3))
    first = attempt.questions[0].snapshot["answers"]
    right = next(i for i, a in enumerate(first) if a["fraction"] == "1")
    _answer(attempt, {0: right})
    services.submit_attempt(attempt)
    assert attempt.questions[0].fraction == 1


def test_draws_questions_from_a_category_and_essays_wait_for_a_trainer(quizzing):
    quiz, trainee, trainer = quizzing["check"], quizzing["trainee"], quizzing["trainer"]
    attempt = services.start_attempt(quiz, trainee, rng=random.Random(1))
    keys = [aq.question_key for aq in attempt.questions]
    assert len(keys) == 3 and keys[2] == "DK-07" and set(keys[:2]) <= {"DK-01", "DK-02", "DK-03", "DK-04"}
    assert attempt.questions[2].mark == 2
    _answer(attempt, {2: "Resumo lo que dijo y acordamos el siguiente paso."})
    services.submit_attempt(attempt)
    assert attempt.status is AttemptStatus.NEEDS_GRADING and attempt.percent is None
    essay = attempt.questions[2]
    with pytest.raises(services.QuizError):
        services.grade_essays(attempt, {essay.id: services.EssayMark(Decimal(3))}, trainer)
    services.grade_essays(attempt, {essay.id: services.EssayMark(Decimal("1.5"), "Bien resumido.")}, trainer)
    assert attempt.status is AttemptStatus.FINISHED
    assert essay.fraction == Decimal("0.75") and essay.grader_comment == "Bien resumido."
    assert db.session.scalar(sa.select(AuditEvent.actor_id).where(AuditEvent.action == "quiz_attempt.graded")) == \
        trainer.id


def test_an_unanswered_essay_scores_zero_without_a_trainer(quizzing):
    attempt = services.start_attempt(quizzing["check"], quizzing["trainee"], rng=random.Random(1))
    services.submit_attempt(attempt)
    assert attempt.status is AttemptStatus.FINISHED and attempt.questions[2].fraction == 0


def test_immediate_feedback_grades_on_save_and_keeps_the_answer_final(quizzing):
    attempt = services.start_attempt(quizzing["check"], quizzing["trainee"], rng=random.Random(1))
    first = attempt.questions[0]
    wrong = {"multichoice": 1, "truefalse": True, "multiresponse": [2], "numerical": "7"}[first.qtype.value]
    _answer(attempt, {0: wrong})
    assert first.fraction == 0 and first.answered_at is not None
    _answer(attempt, {0: RIGHT[["DK-01", "DK-02", "DK-03", "DK-04"].index(first.question_key)]})
    assert first.response == wrong  # immediate feedback was shown: the answer is final


def test_max_attempts_and_grading_methods(quizzing):
    quiz, trainee = quizzing["pre_test"], quizzing["trainee"]
    quiz.max_attempts = 3
    percents = []
    for right in (3, 6, 1):
        attempt = services.start_attempt(quiz, trainee)
        _answer(attempt, {i: RIGHT[i] for i in range(right)})
        services.submit_attempt(attempt)
        percents.append(attempt.percent)
    with pytest.raises(services.NoAttemptsLeftError):
        services.start_attempt(quiz, trainee)
    attempts = db.session.scalars(sa.select(QuizAttempt).order_by(QuizAttempt.number)).all()
    assert quiz_grade(GradingMethod.HIGHEST, attempts) == Decimal(100)
    assert quiz_grade(GradingMethod.FIRST, attempts) == Decimal(50)
    assert quiz_grade(GradingMethod.LAST, attempts) == percents[2]
    assert quiz_grade(GradingMethod.AVERAGE, attempts) == (sum(percents) / 3).quantize(Decimal("0.0001"))
    state = quiz_state(quiz, trainee, utcnow())
    assert state.passed and state.attempts_left == 0 and not state.can_start


def test_open_and_close_dates_are_enforced(quizzing):
    quiz, trainee = quizzing["pre_test"], quizzing["trainee"]
    quiz.opens_at = utcnow() + timedelta(days=1)
    with pytest.raises(services.QuizClosedError, match="not open yet"):
        services.start_attempt(quiz, trainee)
    quiz.opens_at, quiz.closes_at = None, utcnow() - timedelta(minutes=1)
    with pytest.raises(services.QuizClosedError, match="closed"):
        services.start_attempt(quiz, trainee)
    quiz.closes_at, quiz.is_published = None, False
    with pytest.raises(services.QuizClosedError, match="not available"):
        services.start_attempt(quiz, trainee)


def test_time_limit_submits_the_saved_answers(quizzing):
    quiz, trainee = quizzing["pre_test"], quizzing["trainee"]
    quiz.time_limit_minutes = 20
    started = utcnow() - timedelta(minutes=30)
    attempt = services.start_attempt(quiz, trainee, now=started)
    services.save_responses(attempt, {0: 0, 1: False}, now=started + timedelta(minutes=5))
    with pytest.raises(services.AttemptClosedError, match="Time is up"):
        services.save_responses(attempt, {2: [0, 1]})
    assert attempt.status is AttemptStatus.FINISHED
    assert attempt.submitted_at == started + timedelta(minutes=20)
    assert attempt.questions[2].response is None and attempt.score == 2


def test_close_expired_submits_attempts_past_their_deadline(quizzing, app):
    quiz, trainee = quizzing["pre_test"], quizzing["trainee"]
    quiz.time_limit_minutes = 10
    attempt = services.start_attempt(quiz, trainee, now=utcnow() - timedelta(minutes=11))
    services.save_responses(attempt, {0: 0}, now=utcnow() - timedelta(minutes=10, seconds=30))
    assert services.close_expired() == 1
    assert attempt.status is AttemptStatus.FINISHED and attempt.score == 1
    assert services.close_expired() == 0


def test_quiz_closing_is_a_deadline_for_open_attempts(quizzing):
    quiz, trainee = quizzing["pre_test"], quizzing["trainee"]
    quiz.closes_at = utcnow() + timedelta(hours=1)
    attempt = services.start_attempt(quiz, trainee)
    assert attempt.deadline_at == quiz.closes_at


def test_review_options_follow_feedback_timing(quizzing):
    quiz, trainee = quizzing["pre_test"], quizzing["trainee"]
    attempt = services.start_attempt(quiz, trainee)
    now = utcnow()
    assert review_options(attempt, quiz, now, is_staff=False).marks is False
    services.submit_attempt(attempt)
    assert review_options(attempt, quiz, now, is_staff=False).feedback is True
    from app.quizzes.models import FeedbackTiming

    quiz.feedback_timing = FeedbackTiming.AFTER_CLOSE
    assert review_options(attempt, quiz, now, is_staff=False) == ReviewOptions(False, False)
    assert review_options(attempt, quiz, now, is_staff=True) == ReviewOptions(True, True)
    quiz.closes_at = now - timedelta(minutes=1)
    assert review_options(attempt, quiz, now, is_staff=False) == ReviewOptions(True, True)


def test_settings_are_kept_per_organisation_and_audited(quizzing, make_org, make_user):
    quiz, trainer = quizzing["pre_test"], quizzing["trainer"]
    settings = current_settings(quiz, trainer.organisation_id)
    changed = QuizSettings(**{**settings.__dict__, "pass_mark": Decimal(90), "max_attempts": 2})
    assert update_quiz_settings(quiz, trainer.organisation_id, changed, trainer) is True
    assert update_quiz_settings(quiz, trainer.organisation_id, changed, trainer) is False
    assert services.rules_for(quiz, trainer.organisation_id).pass_mark == 90
    other = make_user("trainer", organisation=make_org())
    assert services.rules_for(quiz, other.organisation_id).pass_mark == 70  # the pack's own setting
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "quiz.settings_changed"))
    assert Decimal(event.before["pass_mark"]) == 70 and event.after["pass_mark"] == "90"


def test_missing_question_is_a_clear_error(quizzing):
    question = db.session.scalar(sa.select(Question).where(Question.key == "DK-04"))
    for row in db.session.scalars(sa.select(Question).where(Question.key == "DK-04")):
        row.is_hidden = True
    assert question is not None
    with pytest.raises(services.QuizError, match="missing from its bank"):
        services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
