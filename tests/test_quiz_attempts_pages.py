"""Taking a quiz in the browser (no JS): pages, resume, autosave, submit, review, marking, settings, access."""
from __future__ import annotations

import random
import re
from datetime import timedelta

import sqlalchemy as sa

from app.core.db import utcnow
from app.extensions import db
from app.quizzes import attempts as services
from app.quizzes.models import AttemptStatus, FeedbackTiming, QuizAttempt, QuizOverride
from tests.conftest import csrf_token, post_form
from tests.courses_support import content_path, demo_course, learning  # noqa: F401  (fixtures)
from tests.quiz_attempts_support import quizzing  # noqa: F401  (fixture)


def _start(client, quiz):
    response = post_form(client, f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302
    attempt_id = int(re.search(r"/attempts/(\d+)$", response.headers["Location"]).group(1))
    return db.session.get(QuizAttempt, attempt_id)


def test_course_page_lists_tests_with_the_learner_state(client, login, quizzing):
    login(quizzing["trainee"])
    page = client.get("/courses/demo-course").get_data(as_text=True)
    assert page.index("Prueba inicial") < page.index("Repaso de la práctica")  # pre-test first
    assert "Not started" in page
    _start(client, quizzing["pre_test"])
    page = client.get("/courses/demo-course").get_data(as_text=True)
    assert "In progress" in page and "Continue" in page


def test_take_pages_save_answers_and_resume_where_the_learner_left(client, login, quizzing):
    login(quizzing["trainee"])
    attempt = _start(client, quizzing["pre_test"])
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "¿Qué hace primero un buen ayudante?" in page and "Page 1 of 3" in page
    assert "q-2" not in page  # two questions a page
    response = post_form(client, f"/attempts/{attempt.id}", {"q-0-present": "1", "q-0": "0", "q-1-present": "1",
                                                              "q-1": "false", "action": "next"})
    assert response.status_code == 302
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)  # a reload, or a closed tab reopened
    assert "Page 2 of 3" in page and "¿Cuáles de estas son habilidades de ayuda?" in page
    post_form(client, f"/attempts/{attempt.id}", {"action": "previous"})
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert re.search(r'id="q-0-a0" name="q-0" value="0" checked', page)
    assert re.search(r'id="q-1-false" name="q-1" value="false" checked', page)


def test_autosave_answers_json_and_keeps_the_answer(client, login, quizzing):
    login(quizzing["trainee"])
    attempt = _start(client, quizzing["pre_test"])
    token = csrf_token(client, f"/attempts/{attempt.id}")
    response = client.post(f"/attempts/{attempt.id}/autosave", data={"q-1-present": "1", "q-1": "false"},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200 and response.json == {"saved": True, "changed": 1, "message": "Saved"}
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).questions[1].response is False
    assert client.post(f"/attempts/{attempt.id}/autosave", data={"q-1": "true"}).status_code == 400  # no CSRF


def test_submit_then_review_shows_score_right_answers_and_feedback(client, login, quizzing):
    login(quizzing["trainee"])
    attempt = _start(client, quizzing["pre_test"])
    post_form(client, f"/attempts/{attempt.id}", {"q-0-present": "1", "q-0": "1", "q-1-present": "1",
                                                  "q-1": "false", "action": "finish"})
    summary = client.get(f"/attempts/{attempt.id}/summary").get_data(as_text=True)
    assert "4 questions have no answer yet." in summary
    response = post_form(client, f"/attempts/{attempt.id}/submit")
    assert response.headers["Location"].endswith(f"/attempts/{attempt.id}/review")
    page = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "1 of 6 marks (17 %)" in page and "Not passed yet" in page
    assert "No. Los consejos pueden esperar." in page  # feedback of the chosen answer
    assert "Escucha sin juzgar." in page  # the right answer
    assert "La seguridad va antes que el secreto." in page  # general feedback
    again = post_form(client, f"/attempts/{attempt.id}/submit")  # a second submit changes nothing
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(QuizAttempt.id))) == 1
    assert post_form(client, f"/attempts/{attempt.id}", {"q-2-present": "1", "q-2": "0"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(QuizAttempt, attempt.id).questions[2].response is None


def test_after_close_feedback_waits_for_the_quiz_to_close(client, login, quizzing):
    quiz = quizzing["pre_test"]
    quiz.feedback_timing = FeedbackTiming.AFTER_CLOSE
    login(quizzing["trainee"])
    attempt = _start(client, quiz)
    post_form(client, f"/attempts/{attempt.id}/submit")
    page = client.get(f"/attempts/{attempt.id}/review").get_data(as_text=True)
    assert "when the quiz closes" in page and "Escucha sin juzgar." not in page and "marks (" not in page


def test_immediate_feedback_shows_after_checking(client, login, quizzing):
    login(quizzing["trainee"])
    quiz = quizzing["check"]
    attempt = _start(client, quiz)
    first = attempt.questions[0]
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "data-autosave" not in page and "Check my answers" in page
    value = {"multichoice": "0", "truefalse": "false", "multiresponse": "0", "numerical": "5"}[first.qtype.value]
    post_form(client, f"/attempts/{attempt.id}", {"q-0-present": "1", "q-0": value, "action": "check"})
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "The right answer:" in page and "disabled" in page


def test_time_up_on_the_next_request_submits_what_was_saved(client, login, quizzing):
    quiz, trainee = quizzing["pre_test"], quizzing["trainee"]
    quiz.time_limit_minutes = 5
    attempt = services.start_attempt(quiz, trainee, now=utcnow() - timedelta(minutes=6))
    services.save_responses(attempt, {0: 0}, now=utcnow() - timedelta(minutes=5, seconds=30))
    login(trainee)
    response = post_form(client, f"/attempts/{attempt.id}", {"q-1-present": "1", "q-1": "false", "action": "next"})
    assert response.headers["Location"].endswith(f"/attempts/{attempt.id}/review")
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.status is AttemptStatus.FINISHED and attempt.questions[1].response is None and attempt.score == 1


def test_no_attempts_left_is_a_clear_message(client, login, quizzing):
    quiz = quizzing["pre_test"]
    quiz.max_attempts = 1
    login(quizzing["trainee"])
    attempt = _start(client, quiz)
    post_form(client, f"/attempts/{attempt.id}/submit")
    response = post_form(client, f"/quizzes/{quiz.id}/start", follow_redirects=True)
    assert "You have used all your attempts at this quiz." in response.get_data(as_text=True)


def test_another_trainee_cannot_read_an_attempt_by_its_id(client, login, quizzing, make_user, make_cohort,
                                                          make_org, assign_supervisor):
    attempt = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    services.submit_attempt(attempt)
    classmate = make_user("trainee")
    make_cohort(members={"trainee": [classmate]})
    login(classmate)
    for path in ("", "/review", "/summary", "/grade"):
        assert client.get(f"/attempts/{attempt.id}{path}").status_code == 404
    assert post_form(client, f"/attempts/{attempt.id}/submit").status_code == 404


def test_staff_read_attempts_of_their_trainees(client, app, login, quizzing, make_user, make_org,
                                               assign_supervisor):
    attempt = services.start_attempt(quizzing["pre_test"], quizzing["trainee"])
    services.submit_attempt(attempt)
    supervisor = make_user("supervisor")
    assign_supervisor(supervisor, quizzing["trainee"])
    outsider_trainer = make_user("trainer")
    other_admin = make_user("admin", organisation=make_org())
    expected = {quizzing["trainer"]: 200, supervisor: 200, make_user("admin"): 200, outsider_trainer: 403,
                other_admin: 404}
    for person, status in expected.items():
        visitor = app.test_client()
        visitor.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        login(person, c=visitor)
        assert visitor.get(f"/attempts/{attempt.id}/review").status_code == status, person.username
    visitor = app.test_client()
    login(quizzing["trainer"], c=visitor)
    assert visitor.get(f"/attempts/{attempt.id}").status_code == 403  # only the learner answers


def test_trainer_marks_an_essay_from_the_grading_list(client, login, quizzing):
    attempt = services.start_attempt(quizzing["check"], quizzing["trainee"], rng=random.Random(1))
    services.save_responses(attempt, {2: "Resumo y acordamos el siguiente paso."})
    services.submit_attempt(attempt)
    essay = attempt.questions[2]
    login(quizzing["trainer"])
    queue = client.get(f"/quizzes/{quizzing['check'].id}/grading").get_data(as_text=True)
    assert quizzing["trainee"].full_name in queue
    page = client.get(f"/attempts/{attempt.id}/grade").get_data(as_text=True)
    assert "Resumo y acordamos el siguiente paso." in page and "Mark (0 to 2)" in page
    bad = post_form(client, f"/attempts/{attempt.id}/grade", {f"mark_{essay.id}": "5"})
    assert bad.status_code == 422 and "The mark is out of range." in bad.get_data(as_text=True)
    done = post_form(client, f"/attempts/{attempt.id}/grade", {f"mark_{essay.id}": "2", f"comment_{essay.id}": "Muy bien."})
    assert done.status_code == 302
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.status is AttemptStatus.FINISHED and attempt.questions[2].grader_comment == "Muy bien."
    assert "No answers are waiting for a mark." in client.get(f"/quizzes/{quizzing['check'].id}/grading").get_data(
        as_text=True)


def test_trainer_changes_quiz_settings(client, login, quizzing):
    quiz = quizzing["pre_test"]
    login(quizzing["trainer"])
    assert "Pass mark (%)" in client.get(f"/quizzes/{quiz.id}/settings").get_data(as_text=True)
    bad = post_form(client, f"/quizzes/{quiz.id}/settings", {"pass_mark": "150", "grading_method": "highest",
                                                               "feedback_timing": "after_submit"})
    assert bad.status_code == 422
    response = post_form(client, f"/quizzes/{quiz.id}/settings", {
        "is_published": "y", "pass_mark": "85", "max_attempts": "2", "grading_method": "last",
        "feedback_timing": "after_close", "opens_at": "2026-01-05T08:00", "closes_at": "2026-01-04T08:00"})
    assert response.status_code == 422 and "The quiz must close after it opens." in response.get_data(as_text=True)
    response = post_form(client, f"/quizzes/{quiz.id}/settings", {
        "is_published": "y", "pass_mark": "85", "max_attempts": "2", "grading_method": "last",
        "feedback_timing": "after_close", "time_limit_minutes": "30"})
    assert response.status_code == 302
    override = db.session.scalar(sa.select(QuizOverride))
    assert (override.pass_mark, override.max_attempts, override.time_limit_minutes) == (85, 2, 30)
    assert override.grading_method.value == "last" and override.feedback_timing is FeedbackTiming.AFTER_CLOSE
    login(quizzing["trainee"])
    assert "Time limit: 30 minutes" in client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
