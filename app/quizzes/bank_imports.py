"""GIFT imports in the browser: check the text, keep it for a preview, then import it all at once.

Nothing is imported at upload: the text waits in a QuestionImport until a trainer confirms, and
the confirmation claims it once, so a double submit cannot import twice. A malformed file is
never stored; the errors, each with its line, go back to the person.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.i18n import _
from app.extensions import db
from app.quizzes.banks import ApplyCounts, PlannedQuestion, apply_questions, plan_questions, read_bank_text
from app.quizzes.gift import GiftError, GiftImport, GiftSyntaxError, QuestionType
from app.quizzes.models import QuestionBank, QuestionImport, QuestionImportStatus, VersionOrigin


class ImportStateError(Exception):
    """The import cannot be confirmed or discarded any more (already imported, or discarded)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ImportPreview:
    gift: GiftImport
    planned: list[PlannedQuestion]

    @property
    def by_type(self) -> list[tuple[QuestionType, int]]:
        counts = Counter(q.qtype for q in self.gift.questions)
        return [(qtype, counts[qtype]) for qtype in QuestionType if counts[qtype]]

    @property
    def by_action(self) -> Counter:
        return Counter(p.action for p in self.planned)


def start_bank_import(bank: QuestionBank, actor: User, filename: str, text: str) -> QuestionImport:
    """Check the GIFT (GiftSyntaxError lists every error, nothing is kept) and keep it for the preview."""
    gift = read_bank_text(text, require_names=False)
    if not gift.questions:
        raise GiftSyntaxError([GiftError(1, "no question found")])
    clean_name = filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "gift"
    batch = QuestionImport(bank_id=bank.id, organisation_id=bank.organisation_id, filename=clean_name,
                           gift_text=text, question_count=len(gift.questions), created_by_id=actor.id)
    db.session.add(batch)
    db.session.flush()
    return batch


def preview_import(batch: QuestionImport) -> ImportPreview:
    gift = read_bank_text(batch.gift_text, require_names=False)
    return ImportPreview(gift, plan_questions(batch.bank, gift.questions))


def _claim(batch: QuestionImport, actor: User) -> None:
    """Move the import out of the preview state exactly once, even with two submits racing."""
    claimed = db.session.execute(
        sa.update(QuestionImport)
        .where(QuestionImport.id == batch.id, QuestionImport.status == QuestionImportStatus.PREVIEWED)
        .values(status=QuestionImportStatus.IMPORTED, imported_at=utcnow(), imported_by_id=actor.id)
    ).rowcount
    if claimed != 1:
        db.session.refresh(batch)
        if batch.status == QuestionImportStatus.DISCARDED:
            raise ImportStateError(_("This import was discarded. Upload the file again."))
        raise ImportStateError(_("This file has already been imported. Nothing was imported a second time."))


def confirm_bank_import(batch: QuestionImport, actor: User) -> ApplyCounts:
    """Import every question of the kept text: all of them or, on any error, none."""
    _claim(batch, actor)
    gift = read_bank_text(batch.gift_text, require_names=False)
    counts = apply_questions(batch.bank, gift, actor=actor, origin=VersionOrigin.IMPORT, note=batch.filename)
    db.session.refresh(batch)
    audit.record("quizzes.questions_imported", batch.bank, actor_id=actor.id,
                 after={"file": batch.filename, "import_id": batch.id, "questions": len(gift.questions),
                        **counts.as_dict()})
    return counts


def discard_bank_import(batch: QuestionImport) -> None:
    if batch.status != QuestionImportStatus.PREVIEWED:
        raise ImportStateError(_("Only an import that is waiting for confirmation can be discarded."))
    batch.status = QuestionImportStatus.DISCARDED
    batch.gift_text = ""
    db.session.flush()
