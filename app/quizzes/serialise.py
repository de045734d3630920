"""The one way a GiftQuestion is stored as JSON: ``QuestionVersion.data`` and attempt snapshots.

Decimals are written as strings (no float rounding) and every field is written out, so a
stored question reads back equal to the one saved. The category is not part of a question's
content (it lives on ``Question.category``): pass it back in when rebuilding a question.
"""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from app.quizzes.gift import GiftAnswer, GiftQuestion, MatchPair, QuestionType, TextFormat, format_number

SCHEMA = 1


def question_to_data(question: GiftQuestion) -> dict[str, Any]:
    """A JSON-safe dict of the question's content (no category, no source line)."""
    return {
        "schema": SCHEMA,
        "qtype": str(question.qtype),
        "name": question.name,
        "text": question.text,
        "text_format": str(question.text_format),
        "answers": [_answer_to_data(answer) for answer in question.answers],
        "pairs": [
            {"question": pair.question, "answer": pair.answer, "question_format": str(pair.question_format)}
            for pair in question.pairs
        ],
        "general_feedback": question.general_feedback,
        "general_feedback_format": str(question.general_feedback_format),
    }


def question_from_data(data: dict[str, Any], category: str | None = None) -> GiftQuestion:
    """The GiftQuestion that ``question_to_data`` wrote; ``category`` is set from the caller."""
    if data.get("schema", SCHEMA) != SCHEMA:
        raise ValueError(f"unknown question data schema {data.get('schema')!r}")
    return GiftQuestion(
        qtype=QuestionType(data["qtype"]),
        name=data["name"],
        text=data["text"],
        text_format=TextFormat(data.get("text_format", TextFormat.MOODLE)),
        answers=tuple(_answer_from_data(answer) for answer in data.get("answers", ())),
        pairs=tuple(
            MatchPair(pair["question"], pair["answer"], TextFormat(pair.get("question_format", TextFormat.MOODLE)))
            for pair in data.get("pairs", ())
        ),
        general_feedback=data.get("general_feedback", ""),
        general_feedback_format=TextFormat(data.get("general_feedback_format", TextFormat.MOODLE)),
        category=category,
    )


def content_hash(data: dict[str, Any]) -> str:
    """A stable SHA-256 of the stored dict: equal content gives an equal hash."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _answer_to_data(answer: GiftAnswer) -> dict[str, Any]:
    return {
        "text": answer.text,
        "fraction": format_number(answer.fraction),
        "feedback": answer.feedback,
        "text_format": str(answer.text_format),
        "feedback_format": str(answer.feedback_format),
        "value": None if answer.value is None else format_number(answer.value),
        "tolerance": format_number(answer.tolerance),
    }


def _answer_from_data(data: dict[str, Any]) -> GiftAnswer:
    value = data.get("value")
    return GiftAnswer(
        text=data["text"],
        fraction=Decimal(data["fraction"]),
        feedback=data.get("feedback", ""),
        text_format=TextFormat(data.get("text_format", TextFormat.MOODLE)),
        feedback_format=TextFormat(data.get("feedback_format", TextFormat.MOODLE)),
        value=None if value is None else Decimal(value),
        tolerance=Decimal(data.get("tolerance", "0")),
    )
