"""Forms for taking a quiz, marking essays and a quiz's settings. Forms check shape; services check rules.

A page of questions has fields named after each question's position (``q-3``; matching stems
``q-3-0``), so the answers are read by ``read_responses`` rather than declared one by one.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from flask import current_app
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice
from wtforms.fields import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from app.core.i18n import _l
from app.quizzes.gift import QuestionType
from app.quizzes.models import AttemptQuestion, FeedbackTiming, GradingMethod

MAX_TEXT = 500
MAX_ESSAY = 20_000

GRADING_LABELS = {
    GradingMethod.HIGHEST: _l("Highest attempt"),
    GradingMethod.LAST: _l("Last attempt"),
    GradingMethod.FIRST: _l("First attempt"),
    GradingMethod.AVERAGE: _l("Average of all attempts"),
}
FEEDBACK_LABELS = {
    FeedbackTiming.IMMEDIATE: _l("After each answer (the answer is then final)"),
    FeedbackTiming.AFTER_SUBMIT: _l("When the attempt is submitted"),
    FeedbackTiming.AFTER_CLOSE: _l("Only after the quiz closes"),
}


def field_name(aq: AttemptQuestion, stem: int | None = None) -> str:
    return f"q-{aq.position}" if stem is None else f"q-{aq.position}-{stem}"


def matching_options(snapshot: dict[str, Any]) -> list[str]:
    """The answers a matching question offers, sorted (the pair order would give the answers away)."""
    return sorted({pair["answer"] for pair in snapshot.get("pairs", []) if pair.get("answer")}, key=str.casefold)


def _index(value: str | None, size: int) -> int | None:
    if value is None or not value.isdigit():
        return None
    number = int(value)
    return number if number < size else None


def read_response(aq: AttemptQuestion, form: MultiDict) -> Any:
    """One question's response from the posted fields, in the shape stored and graded; None if unanswered."""
    name = field_name(aq)
    answers = aq.snapshot.get("answers", [])
    match aq.qtype:
        case QuestionType.MULTICHOICE:
            return _index(form.get(name), len(answers))
        case QuestionType.MULTIRESPONSE:
            chosen = sorted({i for i in (_index(v, len(answers)) for v in form.getlist(name)) if i is not None})
            return chosen or None
        case QuestionType.TRUEFALSE:
            return {"true": True, "false": False}.get(form.get(name, ""))
        case QuestionType.SHORTANSWER | QuestionType.NUMERICAL:
            text = " ".join(form.get(name, "").split())[:MAX_TEXT]
            return text or None
        case QuestionType.ESSAY:
            text = form.get(name, "").replace("\r\n", "\n").strip()[:MAX_ESSAY]
            return text or None
        case QuestionType.MATCHING:
            options = set(matching_options(aq.snapshot))
            stems = [pair for pair in aq.snapshot.get("pairs", []) if pair.get("question")]
            chosen = {str(i): form.get(field_name(aq, i)) for i in range(len(stems))}
            chosen = {i: text for i, text in chosen.items() if text in options}
            return chosen or None
    return None


def has_fields(aq: AttemptQuestion, form: MultiDict) -> bool:
    """The form carries this question (the page showed it, or the autosave sent it)."""
    prefix = field_name(aq)
    return any(key == prefix or key.startswith(prefix + "-") or key == prefix + "-present" for key in form)


def read_responses(questions: Iterable[AttemptQuestion], form: MultiDict) -> dict[int, Any]:
    """Position -> response for each question the form carries (an empty choice clears an answer)."""
    return {aq.position: read_response(aq, form) for aq in questions if has_fields(aq, form)}


class AttemptActionForm(FlaskForm):
    """Start, submit, and the page buttons: only the CSRF token is declared."""


class QuizSettingsForm(FlaskForm):
    is_published = BooleanField(_l("Learners can see and take this quiz"))
    pass_mark = DecimalField(_l("Pass mark (%)"), places=0, validators=[
        InputRequired(), NumberRange(min=0, max=100, message=_l("Enter a percentage from 0 to 100."))])
    max_attempts = IntegerField(_l("Attempts allowed (empty: no limit)"), validators=[
        Optional(), NumberRange(min=1, max=100, message=_l("Enter a number from 1 to 100, or leave it empty."))])
    grading_method = SelectField(_l("Which attempts make the grade"), choices=[
        SelectChoice(value=m.value, label=label) for m, label in GRADING_LABELS.items()])
    time_limit_minutes = IntegerField(_l("Time limit in minutes (empty: no limit)"), validators=[
        Optional(), NumberRange(min=1, max=600, message=_l("Enter from 1 to 600 minutes, or leave it empty."))])
    feedback_timing = SelectField(_l("When learners see the right answers and feedback"), choices=[
        SelectChoice(value=t.value, label=label) for t, label in FEEDBACK_LABELS.items()])
    shuffle_questions = BooleanField(_l("Shuffle the order of the questions"))
    shuffle_answers = BooleanField(_l("Shuffle the order of the answers"))
    opens_at = DateTimeLocalField(_l("Opens (optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    closes_at = DateTimeLocalField(_l("Closes (optional)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    save = SubmitField(_l("Save the settings"))

    def validate_closes_at(self, field: DateTimeLocalField) -> None:
        if field.data and self.opens_at.data and field.data <= self.opens_at.data:
            raise ValidationError(_l("The quiz must close after it opens."))


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def to_utc(value: datetime | None) -> datetime | None:
    """A date and time typed in the organisation's time zone, as UTC."""
    return None if value is None else value.replace(tzinfo=local_zone()).astimezone(timezone.utc)


def to_local(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(local_zone()).replace(tzinfo=None)


def essay_form(essays: list[AttemptQuestion]) -> FlaskForm:
    """A mark (0..the question's mark) and a comment for each essay of an attempt."""
    fields: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for aq in essays:
        fields[f"mark_{aq.id}"] = DecimalField(
            _l("Mark (0 to %(max)s)", max=f"{aq.mark.normalize():f}"), places=2,
            validators=[InputRequired(message=_l("Give a mark.")),
                        NumberRange(min=0, max=float(aq.mark), message=_l("The mark is out of range."))])
        fields[f"comment_{aq.id}"] = TextAreaField(_l("Comment for the learner (optional)"), validators=[Optional()])
        if aq.fraction is not None:
            data[f"mark_{aq.id}"] = (aq.fraction * aq.mark).quantize(Decimal("0.01"))
            data[f"comment_{aq.id}"] = aq.grader_comment
    fields["save"] = SubmitField(_l("Save the marks"))
    return type("EssayGradeForm", (FlaskForm,), fields)(data=data)
