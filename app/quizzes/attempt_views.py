"""Taking a quiz: the quiz page, an attempt page by page (works without JS), autosave, submit, review,
essay marking and a quiz's settings.

Attempts answer 404 to anyone who may not know they exist (another trainee, another organisation)
and 403 to same-organisation staff without a right to them. Every attempt request first submits an
attempt whose time is up, so the server, not the browser, enforces the time limit.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.core.db import utcnow, write_lock
from app.core.i18n import _
from app.core.page_cache import cached_page
from app.core.permissions import (
    authorize,
    can_answer_attempt,
    can_edit_quiz_settings,
    can_grade_attempt,
    can_grade_quiz,
    can_know_attempt,
    can_take_quiz,
    can_view_attempt,
    can_view_quiz,
    is_admin,
)
from app.extensions import db
from app.quizzes import attempt_queries as queries
from app.quizzes import attempts as services
from app.quizzes.attempt_display import answer_feedback, numbered, page_questions, response_text, rich_text
from app.quizzes.attempt_forms import (
    FEEDBACK_LABELS,
    GRADING_LABELS,
    AttemptActionForm,
    QuizSettingsForm,
    essay_form,
    read_responses,
    to_local,
    to_utc,
)
from app.quizzes.blueprint import bp
from app.quizzes.models import AttemptStatus, FeedbackTiming, GradingMethod, Quiz, QuizAttempt
from app.quizzes.quiz_settings import QuizSettings, current_settings, update_quiz_settings


@bp.context_processor
def _attempt_helpers() -> dict:
    return {"GRADING_LABELS": GRADING_LABELS, "FEEDBACK_LABELS": FEEDBACK_LABELS, "quiz_text": rich_text,
            "quiz_numbered": numbered, "quiz_response_text": response_text, "quiz_answer_feedback": answer_feedback}


def _me() -> User:
    return current_user._get_current_object()


def _quiz(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or not can_view_quiz(current_user, quiz):
        abort(404)
    return quiz


def _attempt(attempt_id: int) -> QuizAttempt:
    """The attempt, if this user may know of it; an attempt whose time is up is submitted first.

    Its quiz and questions come in the same statement: every attempt page reads them."""
    attempt = db.session.execute(
        sa.select(QuizAttempt).where(QuizAttempt.id == attempt_id)
        .options(joinedload(QuizAttempt.quiz), joinedload(QuizAttempt.questions))
    ).unique().scalar_one_or_none()
    if attempt is None or not can_know_attempt(current_user, attempt):
        abort(404)
    if attempt.status is AttemptStatus.IN_PROGRESS and attempt.deadline_at and utcnow() >= attempt.deadline_at:
        with write_lock():
            db.session.rollback()
            if services.close_if_expired(attempt):
                flash(_("Time is up. Your saved answers have been submitted."), "warning")
            db.session.commit()
    return attempt


@bp.route("/quizzes/<int:quiz_id>")
@login_required
def quiz_overview(quiz_id: int):
    quiz = _quiz(quiz_id)
    state = queries.quiz_state(quiz, _me(), utcnow())
    return render_template("quizzes/quiz.html", quiz=quiz, state=state, form=AttemptActionForm(),
                           can_take=can_take_quiz(current_user, quiz), language=_language(quiz))


def _language(quiz: Quiz) -> str:
    from flask_babel import get_locale

    from app.courses.queries import course_language

    return course_language(_me(), quiz.course, str(get_locale()))


@bp.post("/quizzes/<int:quiz_id>/start")
@login_required
def attempt_start(quiz_id: int):
    quiz = _quiz(quiz_id)
    authorize(can_take_quiz(current_user, quiz))
    if not AttemptActionForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start_attempt(quiz, _me())
    except services.QuizError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for(".quiz_overview", quiz_id=quiz.id))
    db.session.commit()
    return redirect(url_for(".attempt_take", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
@cached_page
def attempt_take(attempt_id: int):
    attempt = _attempt(attempt_id)
    authorize(can_answer_attempt(current_user, attempt))
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        return redirect(url_for(".attempt_review", attempt_id=attempt.id))
    rules = services.rules_for(attempt.quiz, attempt.user.organisation_id)
    form = AttemptActionForm()
    if form.validate_on_submit():
        page = _target_page(attempt.current_page)
        try:
            services.save_responses(attempt, read_responses(attempt.questions, request.form), page=page)
        except services.AttemptClosedError as error:
            db.session.commit()  # a submit on time-out is kept
            flash(str(error.message), "warning")
            return redirect(url_for(".attempt_review", attempt_id=attempt.id))
        db.session.commit()
        if request.form.get("action") == "finish":
            return redirect(url_for(".attempt_summary", attempt_id=attempt.id))
        return redirect(url_for(".attempt_take", attempt_id=attempt.id))
    pages = services.page_count(attempt, rules.questions_per_page)
    return render_template("quizzes/take.html", attempt=attempt, rules=rules, form=form, pages=pages,
                           questions=page_questions(attempt, rules), now=utcnow())


def _target_page(current: int) -> int:
    action = request.form.get("action", "")
    if action == "next":
        return current + 1
    if action == "previous":
        return current - 1
    if action.startswith("page-") and action[5:].isdigit():
        return int(action[5:])
    return current


@bp.post("/attempts/<int:attempt_id>/autosave")
@login_required
def attempt_autosave(attempt_id: int):
    """One changed answer, sent by quiz.js with fetch(); answers JSON the script shows as "Saved"."""
    attempt = _attempt(attempt_id)
    authorize(can_answer_attempt(current_user, attempt))
    if not AttemptActionForm().validate_on_submit():
        return {"saved": False, "message": _("Your session has expired. Reload the page.")}, 400
    try:
        changed = services.save_responses(attempt, read_responses(attempt.questions, request.form))
    except services.AttemptClosedError as error:
        db.session.commit()
        return {"saved": False, "closed": True, "message": str(error.message),
                "review": url_for(".attempt_review", attempt_id=attempt.id)}, 409
    db.session.commit()
    return {"saved": True, "changed": changed, "message": _("Saved")}


@bp.route("/attempts/<int:attempt_id>/summary")
@login_required
def attempt_summary(attempt_id: int):
    attempt = _attempt(attempt_id)
    authorize(can_answer_attempt(current_user, attempt))
    if attempt.status is not AttemptStatus.IN_PROGRESS:
        return redirect(url_for(".attempt_review", attempt_id=attempt.id))
    rules = services.rules_for(attempt.quiz, attempt.user.organisation_id)
    return render_template("quizzes/take_summary.html", attempt=attempt, rules=rules, form=AttemptActionForm(),
                           now=utcnow())


@bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def attempt_submit(attempt_id: int):
    attempt = _attempt(attempt_id)
    authorize(can_answer_attempt(current_user, attempt))
    if not AttemptActionForm().validate_on_submit():
        abort(400)
    if services.submit_attempt(attempt):
        flash(_("Your answers have been submitted."), "success")
    db.session.commit()
    return redirect(url_for(".attempt_review", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>/review")
@login_required
def attempt_review(attempt_id: int):
    attempt = _attempt(attempt_id)
    authorize(can_view_attempt(current_user, attempt))
    mine = current_user.id == attempt.user_id
    if attempt.status is AttemptStatus.IN_PROGRESS and mine:
        return redirect(url_for(".attempt_take", attempt_id=attempt.id))
    rules = services.rules_for(attempt.quiz, attempt.user.organisation_id)
    options = queries.review_options(attempt, rules, utcnow(), is_staff=not mine)
    state = queries.quiz_state(attempt.quiz, attempt.user, utcnow())
    return render_template("quizzes/review.html", attempt=attempt, rules=rules, options=options, state=state,
                           mine=mine, can_grade=can_grade_attempt(current_user, attempt))


@bp.route("/quizzes/<int:quiz_id>/grading")
@login_required
def quiz_grading(quiz_id: int):
    quiz = _quiz(quiz_id)
    authorize(can_grade_quiz(current_user, quiz))
    me = _me()
    cohorts = None if is_admin(me, me.organisation_id) else queries.trainer_cohort_ids(me)
    return render_template("quizzes/grade_queue.html", quiz=quiz, language=_language(quiz),
                           attempts=queries.grading_queue(quiz, cohorts, me.organisation_id))


@bp.route("/attempts/<int:attempt_id>/grade", methods=["GET", "POST"])
@login_required
def attempt_grade(attempt_id: int):
    attempt = _attempt(attempt_id)
    authorize(can_grade_attempt(current_user, attempt))
    essays = queries.essays_of(attempt)
    form = essay_form(essays)
    if attempt.status is not AttemptStatus.IN_PROGRESS and essays and form.validate_on_submit():
        marks = {aq.id: services.EssayMark(Decimal(form[f"mark_{aq.id}"].data), form[f"comment_{aq.id}"].data)
                 for aq in essays}
        try:
            services.grade_essays(attempt, marks, _me())
        except services.QuizError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("The marks have been saved."), "success")
            return redirect(url_for(".quiz_grading", quiz_id=attempt.quiz_id))
    return render_template("quizzes/grade.html", attempt=attempt, essays=essays, form=form), (
        422 if form.is_submitted() and form.errors else 200)


@bp.route("/quizzes/<int:quiz_id>/settings", methods=["GET", "POST"])
@login_required
def quiz_settings(quiz_id: int):
    quiz = _quiz(quiz_id)
    authorize(can_edit_quiz_settings(current_user, quiz))
    me = _me()
    settings = current_settings(quiz, me.organisation_id)
    form = QuizSettingsForm(data={**settings.__dict__, "grading_method": settings.grading_method.value,
                                  "feedback_timing": settings.feedback_timing.value,
                                  "opens_at": to_local(settings.opens_at), "closes_at": to_local(settings.closes_at)})
    if form.validate_on_submit():
        data = {name: form[name].data for name in settings.__dataclass_fields__}
        data.update(opens_at=to_utc(data["opens_at"]), closes_at=to_utc(data["closes_at"]),
                    grading_method=GradingMethod(data["grading_method"]),
                    feedback_timing=FeedbackTiming(data["feedback_timing"]))
        if update_quiz_settings(quiz, me.organisation_id, QuizSettings(**data), me):
            db.session.commit()
            flash(_("The quiz settings have been saved."), "success")
        return redirect(url_for(".quiz_overview", quiz_id=quiz.id))
    return render_template("quizzes/quiz_settings.html", quiz=quiz, form=form, language=_language(quiz)), (
        422 if form.is_submitted() else 200)
