"""Write questions back as GIFT, the way Moodle's ``qformat_gift::writequestion`` does.

Every question is written with its name, one answer per line and newlines escaped,
so that ``parse_gift(export_gift(questions))`` gives the same questions back.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from app.quizzes.gift import GiftAnswer, GiftQuestion, QuestionType, TextFormat, format_number

_RESERVED = str.maketrans({
    "\\": "\\\\", "#": "\\#", "=": "\\=", "~": "\\~", "{": "\\{", "}": "\\}", ":": "\\:",
    "\n": "\\n", "\r": "",
})
_LOOKS_LIKE_WEIGHT = re.compile(r"%[^%\n]*%")  # what the parser would take for a weight
_LEADING_TAG = re.compile(r"\[(?:%s)\]" % "|".join(str(fmt) for fmt in TextFormat))


def export_gift(questions: Iterable[GiftQuestion]) -> str:
    """GIFT text for the questions, with a ``$CATEGORY:`` line wherever the category changes."""
    parts = []
    category: str | None = None
    for question in questions:
        if question.category != category:
            if question.category is None:
                raise ValueError(f"{question.name!r}: GIFT cannot switch back to no category")
            category = question.category
            escaped = category.replace("\\", "\\\\").replace("\n", "\\n")
            parts.append(f"$CATEGORY: {escaped}\n")
        parts.append(_write_question(question))
    return "\n".join(parts)


def _escape(text: str) -> str:
    return text.translate(_RESERVED)


def _text(text: str, fmt: TextFormat, default: TextFormat) -> str:
    """A text with its ``[format]`` tag when it differs from the default (or could be misread)."""
    tag = f"[{fmt}]" if text and (fmt != default or _LEADING_TAG.match(text)) else ""
    return tag + _escape(text)


def _feedback(answer: GiftAnswer, default: TextFormat) -> str:
    if not answer.feedback:
        return ""
    return "#" + _text(answer.feedback, answer.feedback_format, default)


def _general_feedback(question: GiftQuestion, line: bool = True) -> str:
    if not question.general_feedback:
        return ""
    text = "####" + _text(question.general_feedback, question.general_feedback_format,
                          question.text_format)
    return f"\t{text}\n" if line else text


def _weight(fraction: Decimal) -> str:
    return f"%{format_number(fraction * 100)}%"


def _write_question(question: GiftQuestion) -> str:
    fmt = question.text_format
    head = f"::{_escape(question.name)}::{_text(question.text, fmt, TextFormat.MOODLE)}"
    match question.qtype:
        case QuestionType.DESCRIPTION:
            return head + "\n"
        case QuestionType.ESSAY:
            return head + "{" + _general_feedback(question, line=False) + "}\n"
        case QuestionType.TRUEFALSE:
            return head + _truefalse(question) + "}\n"
        case QuestionType.MULTICHOICE | QuestionType.MULTIRESPONSE:
            lines = [_choice(question, answer) for answer in question.answers]
        case QuestionType.SHORTANSWER:
            lines = [
                "=" + _weight(answer.fraction) + _text(answer.text, fmt, fmt)
                + _feedback(answer, fmt)
                for answer in question.answers
            ]
        case QuestionType.NUMERICAL:
            lines = [_numeric(question, index) for index in range(len(question.answers))]
            head += "{#"
            return head + "\n" + "".join(f"\t{line}\n" for line in lines) + (
                _general_feedback(question) + "}\n")
        case QuestionType.MATCHING:
            lines = []
            for pair in question.pairs:
                if "->" in pair.question:
                    raise ValueError(f"{question.name!r}: a matching question cannot contain '->'")
                lines.append("=" + _text(pair.question, pair.question_format, fmt)
                             + " -> " + _escape(pair.answer))
    return head + "{\n" + "".join(f"\t{line}\n" for line in lines) + (
        _general_feedback(question) + "}\n")


def _truefalse(question: GiftQuestion) -> str:
    fmt = question.text_format
    true, false = question.answers
    right, wrong = (true, false) if true.fraction == 1 else (false, true)
    out = "{" + ("TRUE" if right is true else "FALSE")
    if wrong.feedback:
        out += _feedback(wrong, fmt)
    elif right.feedback:
        out += "#"
    out += _feedback(right, fmt)
    return out + _general_feedback(question, line=False)


def _choice(question: GiftQuestion, answer: GiftAnswer) -> str:
    text = _text(answer.text, answer.text_format, question.text_format)
    literal_percent = _LOOKS_LIKE_WEIGHT.match(text) is not None
    if answer.fraction == 1 and question.qtype is QuestionType.MULTICHOICE:
        if literal_percent:
            raise ValueError(f"{question.name!r}: a right answer cannot start with '%...%' in GIFT")
        marker = "="
    elif answer.fraction == 0 and not literal_percent:
        marker = "~"
    else:
        marker = "~" + _weight(answer.fraction)
    return marker + text + _feedback(answer, question.text_format)


def _numeric(question: GiftQuestion, index: int) -> str:
    answer = question.answers[index]
    feedback = _feedback(answer, question.text_format)
    if answer.value is None:
        if answer.fraction == 0 and index == len(question.answers) - 1:
            return "~" + feedback
        return "=" + _weight(answer.fraction) + "*" + feedback
    value = f"{format_number(answer.value)}:{format_number(answer.tolerance)}"
    return "=" + _weight(answer.fraction) + value + feedback
