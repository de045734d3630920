"""Mark one response to one question, with Moodle's rules for GIFT weights.

Pure functions of a parsed question and a response; attempts and sums live elsewhere.
The first answer that matches wins, as in Moodle, so a catch-all ``*`` goes last.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.quizzes.gift import GiftAnswer, GiftQuestion, QuestionType

ZERO, ONE = Decimal(0), Decimal(1)


@dataclass(frozen=True)
class Grade:
    """``fraction`` of the mark (None: an essay waiting for a person, or a description)
    and the feedback of the answers the response matched."""

    fraction: Decimal | None
    feedback: tuple[str, ...] = ()


def grade_response(question: GiftQuestion, response: object) -> Grade:
    """Responses: multichoice an answer index; multiresponse a collection of indices;
    truefalse a bool; shortanswer and numerical a string (numerical also a number);
    matching a mapping of stem index (into ``question.stems``) to the chosen answer text.
    None, or an empty response, is unanswered and scores 0."""
    match question.qtype:
        case QuestionType.MULTICHOICE:
            return _single_choice(question, response)
        case QuestionType.MULTIRESPONSE:
            return _multiple_choice(question, response)
        case QuestionType.TRUEFALSE:
            if response is None:
                return Grade(ZERO)
            if not isinstance(response, bool):
                raise TypeError("a true/false response is a bool")
            return _matched(question.answers[0 if response else 1])
        case QuestionType.SHORTANSWER:
            return _short_answer(question, response)
        case QuestionType.NUMERICAL:
            return _numerical(question, response)
        case QuestionType.MATCHING:
            return _matching(question, response)
    return Grade(None)


def _matched(answer: GiftAnswer | None) -> Grade:
    if answer is None:
        return Grade(ZERO)
    return Grade(answer.fraction, (answer.feedback,) if answer.feedback else ())


def _answer_at(question: GiftQuestion, index: object) -> GiftAnswer:
    if not isinstance(index, int) or isinstance(index, bool):
        raise TypeError("a choice is an answer index")
    if not 0 <= index < len(question.answers):
        raise ValueError(f"no answer {index} in {question.name!r}")
    return question.answers[index]


def _single_choice(question: GiftQuestion, response: object) -> Grade:
    """The chosen answer's fraction; a negative one (a penalty) is kept, as in Moodle."""
    if response is None:
        return Grade(ZERO)
    return _matched(_answer_at(question, response))


def _multiple_choice(question: GiftQuestion, response: object) -> Grade:
    """Sum of the chosen fractions, held within 0..1."""
    if response is None:
        return Grade(ZERO)
    if not isinstance(response, Collection) or isinstance(response, str):
        raise TypeError("a multiple-response response is a collection of answer indices")
    chosen = [_answer_at(question, index) for index in sorted(set(response))]
    total = sum((answer.fraction for answer in chosen), ZERO)
    feedback = tuple(answer.feedback for answer in chosen if answer.feedback)
    return Grade(min(max(total, ZERO), ONE), feedback)


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def short_answer_matches(response: str, pattern: str) -> bool:
    """Case-insensitive, blanks collapsed; ``*`` stands for any text and ``\\*`` for a star."""
    bits = re.split(r"(?<!\\)\*+", _normalise(pattern))
    regex = ".*".join(re.escape(bit.replace("\\*", "*")) for bit in bits)
    return re.fullmatch(regex, _normalise(response), re.IGNORECASE | re.DOTALL) is not None


def _short_answer(question: GiftQuestion, response: object) -> Grade:
    if response is None or not _normalise(str(response)):
        return Grade(ZERO)
    text = str(response)
    return _matched(next(
        (answer for answer in question.answers if short_answer_matches(text, answer.text)), None))


def parse_number(response: object) -> Decimal | None:
    """A learner's number: ``3.5``, ``3,5`` (decimal comma), ``-2``, ``1e3``; else None."""
    if isinstance(response, bool):
        return None
    if isinstance(response, (int, Decimal)):
        return Decimal(response)
    if isinstance(response, float):
        return Decimal(str(response))
    text = str(response).strip().replace(" ", "")
    if "," in text and "." not in text and text.count(",") == 1:
        text = text.replace(",", ".")
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def _numerical(question: GiftQuestion, response: object) -> Grade:
    if response is None:
        return Grade(ZERO)
    value = parse_number(response)
    if value is None:
        return Grade(ZERO)
    for answer in question.answers:
        if answer.value is None or abs(value - answer.value) <= answer.tolerance:
            return _matched(answer)
    return Grade(ZERO)


def _matching(question: GiftQuestion, response: object) -> Grade:
    """The share of stems given their right answer (distractors are never right)."""
    stems = question.stems
    if response is None or not stems:
        return Grade(ZERO)
    if not isinstance(response, Mapping):
        raise TypeError("a matching response maps stem indices to answer texts")
    right = sum(1 for index, stem in enumerate(stems) if response.get(index) == stem.answer)
    return Grade(Decimal(right) / Decimal(len(stems)))
