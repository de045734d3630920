"""Questions as read from and written to GIFT, Moodle's plain-text question format.

Pure data, no database: banks, quizzes and attempts are built on top of these. The
shape follows what Moodle's own importer (``qformat_gift``) produces, so a file means
the same here as it does in Moodle. Parsing lives in ``gift_parse``, writing in
``gift_export``; both are re-exported here.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class QuestionType(StrEnum):
    """Moodle's question types; Moodle's ``multichoice`` is split by its ``single`` flag."""

    MULTICHOICE = "multichoice"  # one answer may be chosen
    MULTIRESPONSE = "multiresponse"  # several may be chosen (Moodle: multichoice, single=0)
    TRUEFALSE = "truefalse"
    SHORTANSWER = "shortanswer"
    NUMERICAL = "numerical"
    MATCHING = "matching"  # Moodle: match
    ESSAY = "essay"
    DESCRIPTION = "description"

    @property
    def is_auto_graded(self) -> bool:
        return self not in (QuestionType.ESSAY, QuestionType.DESCRIPTION)


class TextFormat(StrEnum):
    """The GIFT ``[format]`` tags, i.e. Moodle's FORMAT_* constants."""

    MOODLE = "moodle"
    HTML = "html"
    PLAIN = "plain"
    MARKDOWN = "markdown"


@dataclass(frozen=True)
class GiftAnswer:
    """One answer with its credit (``fraction``, -1..1) and the feedback shown when chosen.

    Numerical answers carry ``value`` (None for ``*``, any number) and ``tolerance``;
    their ``text`` is the value as written back. True/false questions have two
    answers, ``True`` then ``False``.
    """

    text: str
    fraction: Decimal
    feedback: str = ""
    text_format: TextFormat = TextFormat.MOODLE
    feedback_format: TextFormat = TextFormat.MOODLE
    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)


@dataclass(frozen=True)
class MatchPair:
    """A matching stem and its answer; an empty ``question`` makes a distractor answer."""

    question: str
    answer: str
    question_format: TextFormat = TextFormat.MOODLE


@dataclass(frozen=True)
class GiftQuestion:
    """One imported question; ``line`` (where it starts in the file) is not compared."""

    qtype: QuestionType
    name: str
    text: str
    text_format: TextFormat = TextFormat.MOODLE
    answers: tuple[GiftAnswer, ...] = ()
    pairs: tuple[MatchPair, ...] = ()
    general_feedback: str = ""
    general_feedback_format: TextFormat = TextFormat.MOODLE
    category: str | None = None
    line: int = field(default=0, compare=False)

    @property
    def correct_answer(self) -> bool | None:
        """For true/false: the right answer; None for other types."""
        if self.qtype is not QuestionType.TRUEFALSE:
            return None
        return self.answers[0].fraction == 1

    @property
    def stems(self) -> tuple[MatchPair, ...]:
        """For matching: the pairs that are asked (distractors left out)."""
        return tuple(pair for pair in self.pairs if pair.question)


@dataclass(frozen=True)
class GiftImport:
    """Everything read from one file: the questions and the categories named in it."""

    questions: tuple[GiftQuestion, ...]
    categories: tuple[str, ...] = ()

    def summary(self) -> dict:
        """The ``--json`` report: ``{"questions": N, "by_type": {...}, "errors": []}``."""
        counts = Counter(question.qtype for question in self.questions)
        by_type = {str(qtype): counts[qtype] for qtype in QuestionType if counts[qtype]}
        return {"questions": len(self.questions), "by_type": by_type, "errors": []}


@dataclass(frozen=True)
class GiftError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class GiftSyntaxError(ValueError):
    """The file is malformed; nothing of it is imported. ``errors`` lists every problem."""

    def __init__(self, errors: list[GiftError]) -> None:
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__("; ".join(str(error) for error in self.errors))

    def summary(self) -> dict:
        errors = [{"line": error.line, "message": error.message} for error in self.errors]
        return {"questions": 0, "by_type": {}, "errors": errors}


def format_number(number: Decimal) -> str:
    """A Decimal as plain digits, without exponent or trailing zeros: 1E+3 -> "1000"."""
    if number == 0:
        return "0"
    return format(number.normalize(), "f")


# Parsing and writing need the types above, so they are imported after them.
from app.quizzes.gift_export import export_gift  # noqa: E402
from app.quizzes.gift_parse import parse_gift  # noqa: E402

__all__ = [
    "GiftAnswer",
    "GiftError",
    "GiftImport",
    "GiftQuestion",
    "GiftSyntaxError",
    "MatchPair",
    "QuestionType",
    "TextFormat",
    "export_gift",
    "format_number",
    "parse_gift",
]
