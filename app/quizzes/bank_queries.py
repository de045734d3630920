"""Read-only lists for the bank pages: banks an organisation sees, questions by category, GIFT errors by line."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from app.core.i18n import _l
from app.extensions import db
from app.quizzes.gift import GiftSyntaxError, QuestionType, format_number
from app.quizzes.models import Question, QuestionBank

QTYPE_LABELS = {
    QuestionType.MULTICHOICE: _l("Multiple choice, one answer"),
    QuestionType.MULTIRESPONSE: _l("Multiple choice, several answers"),
    QuestionType.TRUEFALSE: _l("True or false"),
    QuestionType.SHORTANSWER: _l("Short answer"),
    QuestionType.NUMERICAL: _l("Number"),
    QuestionType.MATCHING: _l("Matching"),
    QuestionType.ESSAY: _l("Essay (graded by a person)"),
    QuestionType.DESCRIPTION: _l("Description (not a question)"),
}


@dataclass(frozen=True)
class BankRow:
    bank: QuestionBank
    questions: int


def list_banks(organisation_id: int) -> list[BankRow]:
    """The shared pack banks and the organisation's own web banks, with their visible question counts."""
    counts = (sa.select(Question.bank_id, sa.func.count(Question.id).label("n"))
              .where(Question.is_hidden.is_(False)).group_by(Question.bank_id).subquery())
    rows = db.session.execute(
        sa.select(QuestionBank, sa.func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.bank_id == QuestionBank.id)
        .where(sa.or_(QuestionBank.organisation_id.is_(None), QuestionBank.organisation_id == organisation_id),
               QuestionBank.archived_at.is_(None))
        .order_by(QuestionBank.organisation_id.is_(None), QuestionBank.slug, QuestionBank.language)
    )
    return [BankRow(bank, count) for bank, count in rows]


def grouped_by_category(questions: list[Question]) -> list[tuple[str | None, list[Question]]]:
    """Questions in order, grouped by category in the order each category first appears."""
    groups: dict[str | None, list[Question]] = {}
    for question in questions:
        groups.setdefault(question.category.path if question.category else None, []).append(question)
    return list(groups.items())


@dataclass(frozen=True)
class ErrorLine:
    line: int
    message: str
    source: str  # the text of that line, to find it without counting


def error_lines(text: str, error: GiftSyntaxError) -> list[ErrorLine]:
    lines = re.split(r"\r\n|\r|\n", text.removeprefix("\ufeff"))
    return [ErrorLine(e.line, e.message, lines[e.line - 1].strip()[:200] if 0 < e.line <= len(lines) else "")
            for e in error.errors]


def percent(fraction: Decimal) -> str:
    """A GIFT weight as people write it: 100, 50, -33.33333."""
    return format_number(fraction * 100)
