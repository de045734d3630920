"""How an attempt's questions are shown: the page being answered, and each question in a review.

Everything is read from the attempt's snapshots, never from the bank, so a question edited
later shows (and grades) as it was when the learner answered it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from app.courses.rendering import markdown_parser, sanitize
from app.quizzes.attempt_forms import field_name, matching_options
from app.quizzes.attempts import locks_answers
from app.quizzes.gift import GiftQuestion, QuestionType, TextFormat, format_number
from app.quizzes.models import AttemptQuestion, Quiz, QuizAttempt, QuizOverride
from app.quizzes.serialise import question_from_data


def rich_text(text: str, text_format: TextFormat | str = TextFormat.MOODLE) -> Markup:
    """Question and feedback text as safe HTML: Markdown rendered, HTML sanitised, plain text escaped."""
    match TextFormat(text_format):
        case TextFormat.PLAIN:
            return Markup("<br>").join(escape(line) for line in text.split("\n"))
        case TextFormat.MARKDOWN:
            return Markup(sanitize(markdown_parser().render(text)))
        case TextFormat.HTML:
            return Markup(sanitize(text))
    return Markup(sanitize(text.replace("\n", "<br>")))


@dataclass
class ShownQuestion:
    """One question of an attempt as the page shows it."""

    aq: AttemptQuestion
    question: GiftQuestion
    number: int | None  # None for a description (it is not a question)
    locked: bool = False  # immediate feedback: the answer is final and its feedback shows

    @property
    def name(self) -> str:
        return field_name(self.aq)

    def stem_name(self, index: int) -> str:
        return field_name(self.aq, index)

    @property
    def stems(self) -> list[tuple[int, str]]:
        return [(i, pair.question) for i, pair in enumerate(self.question.stems)]

    @property
    def options(self) -> list[str]:
        return matching_options(self.aq.snapshot)

    def chosen(self, index: int) -> bool:
        response = self.aq.response
        if isinstance(response, list):
            return index in response
        return response == index and not isinstance(response, bool)

    def matched(self, stem: int) -> str | None:
        response = self.aq.response
        return response.get(str(stem)) if isinstance(response, dict) else None

    @property
    def text_response(self) -> str:
        return self.aq.response if isinstance(self.aq.response, str) else ""

    @property
    def score(self) -> Decimal | None:
        return None if self.aq.fraction is None else self.aq.fraction * self.aq.mark

    @property
    def outcome(self) -> str:
        """right | partial | wrong | waiting | none, for the badge next to a graded question."""
        fraction = self.aq.fraction
        if self.aq.qtype is QuestionType.DESCRIPTION:
            return "none"
        if fraction is None:
            return "waiting"
        return "right" if fraction >= 1 else "partial" if fraction > 0 else "wrong"

    @property
    def right_answer(self) -> list[str]:
        """The right answer in words, for the review."""
        question = self.question
        match question.qtype:
            case QuestionType.MULTICHOICE:
                best = max((a.fraction for a in question.answers), default=Decimal(0))
                return [a.text for a in question.answers if a.fraction == best and best > 0]
            case QuestionType.MULTIRESPONSE:
                return [a.text for a in question.answers if a.fraction > 0]
            case QuestionType.TRUEFALSE:
                return ["true" if question.correct_answer else "false"]
            case QuestionType.SHORTANSWER:
                return [a.text for a in question.answers if a.fraction == 1][:1]
            case QuestionType.NUMERICAL:
                return [(format_number(a.value) + (f" ± {format_number(a.tolerance)}" if a.tolerance else ""))
                        for a in question.answers if a.fraction == 1 and a.value is not None][:1]
            case QuestionType.MATCHING:
                return [f"{pair.question} → {pair.answer}" for pair in question.stems]
        return []


def shown(aq: AttemptQuestion, number: int | None, locked: bool = False) -> ShownQuestion:
    return ShownQuestion(aq, question_from_data(aq.snapshot), number, locked)


def numbered(attempt: QuizAttempt, rules: Quiz | QuizOverride | None = None) -> list[ShownQuestion]:
    """Every question of the attempt in order, numbered without the descriptions."""
    result, number = [], 0
    for aq in attempt.questions:
        is_question = aq.qtype is not QuestionType.DESCRIPTION
        number += is_question
        locked = rules is not None and locks_answers(rules) and aq.answered_at is not None
        result.append(shown(aq, number if is_question else None, locked))
    return result


def page_questions(attempt: QuizAttempt, rules: Quiz | QuizOverride) -> list[ShownQuestion]:
    """The questions of the page the learner is on (``current_page``: a reload resumes there)."""
    per_page = max(1, rules.questions_per_page)
    start = attempt.current_page * per_page
    locks = locks_answers(rules)
    result, number = [], 0
    for index, aq in enumerate(attempt.questions[:start + per_page]):  # only this page's snapshots are read
        is_question = aq.qtype is not QuestionType.DESCRIPTION
        number += is_question
        if index >= start:
            result.append(shown(aq, number if is_question else None, locks and aq.answered_at is not None))
    return result


def response_text(item: ShownQuestion) -> list[str]:
    """What the learner answered, in words (empty: not answered)."""
    response, question = item.aq.response, item.question
    if response is None:
        return []
    match question.qtype:
        case QuestionType.MULTICHOICE:
            return [question.answers[response].text] if isinstance(response, int) else []
        case QuestionType.MULTIRESPONSE:
            return [question.answers[i].text for i in response if i < len(question.answers)]
        case QuestionType.TRUEFALSE:
            return ["true" if response else "false"]
        case QuestionType.MATCHING:
            return [f"{stem} → {response.get(str(i), '—')}" for i, stem in item.stems]
    return [str(response)]


def answer_feedback(item: ShownQuestion) -> list[tuple[str, Any]]:
    """The per-answer feedback of the answers the learner chose (kept at grading as ``feedback``)."""
    return [(text, rich_text(text)) for text in (item.aq.feedback or [])]
