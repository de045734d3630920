"""Bank files (``quizzes/<bank-slug>.<lang>.gift``): check them and load them into the database.

Used by ``flask content validate|sync``. Problems are reported as ``path:line: message``.
Sync is keyed by bank slug + language and question key (the ``::name::``); a changed question
gets a new version, a question gone from the file is hidden, and an unchanged file is skipped.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from app.courses.packs import Problem
from app.courses.sync import SyncAction
from app.extensions import db
from app.quizzes.banks import apply_questions, find_bank, read_bank_text, title_from_gift
from app.quizzes.gift import GiftImport, GiftSyntaxError
from app.quizzes.models import BankSource, QuestionBank, VersionOrigin

FILE_NAME = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]{0,63})\.(?P<language>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\.gift$")


class BankConflictError(Exception):
    """A bank authored on the web already uses this slug and language; a file must not overwrite it."""


@dataclass(frozen=True)
class BankFile:
    path: Path
    slug: str
    language: str
    title: str
    gift: GiftImport
    content_hash: str


@dataclass(frozen=True)
class BankSyncResult:
    slug: str
    language: str
    action: SyncAction
    created: int = 0
    versioned: int = 0
    hidden: int = 0

    def __str__(self) -> str:
        line = f"{self.action.value:9} bank {self.slug}.{self.language}"
        if self.action is SyncAction.UNCHANGED:
            return line
        return f"{line} (questions: {self.created} created, {self.versioned} new versions, {self.hidden} hidden)"


def quizzes_root() -> Path:
    """Where the bank files live: QUIZZES_PATH, else quizzes/ beside the course packs folder."""
    from flask import current_app

    from app.courses.packs import content_root

    configured = current_app.config.get("QUIZZES_PATH")
    return Path(configured) if configured else content_root().parent / "quizzes"


def discover_banks(root: Path) -> list[Path]:
    return sorted(root.glob("*.gift")) if root.is_dir() else []


def load_bank_file(path: Path) -> tuple[BankFile | None, list[Problem]]:
    """Read and check one bank file: its name, its GIFT (every error with its line), names on every question."""
    match = FILE_NAME.match(path.name)
    if match is None:
        return None, [Problem(path, 1, "file name must be <bank-slug>.<language>.gift, "
                                       "e.g. pfa-knowledge.es.gift (lower-case slug)")]
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, [Problem(path, 1, "the file is not UTF-8 text")]
    try:
        gift = read_bank_text(text, require_names=True)
    except GiftSyntaxError as error:
        return None, [Problem(path, e.line, e.message) for e in error.errors]
    problems = [] if gift.questions else [Problem(path, 1, "the bank has no questions", is_error=False)]
    title = title_from_gift(text) or match["slug"]
    digest = hashlib.sha256(raw).hexdigest()
    return BankFile(path, match["slug"], match["language"], title, gift, digest), problems


def validate_banks(root: Path) -> tuple[list[BankFile], list[Problem]]:
    """Every bank file under root and every problem, including keys that differ between languages."""
    banks: list[BankFile] = []
    problems: list[Problem] = []
    for path in discover_banks(root):
        bank, found = load_bank_file(path)
        problems.extend(found)
        if bank is not None:
            banks.append(bank)
    problems.extend(_language_mismatches(banks))
    return banks, problems


def _language_mismatches(banks: list[BankFile]) -> list[Problem]:
    """A quiz names questions by key in any language, so each language of a bank must have the same keys."""
    problems = []
    by_slug: dict[str, list[BankFile]] = {}
    for bank in banks:
        by_slug.setdefault(bank.slug, []).append(bank)
    for group in by_slug.values():
        reference = group[0]
        keys = {q.name for q in reference.gift.questions}
        for other in group[1:]:
            lines = {q.name: q.line for q in other.gift.questions}
            for key in sorted(set(lines) - keys):
                problems.append(Problem(other.path, lines[key], f"question ::{key}:: is not in {reference.path.name}"))
            for key in sorted(keys - set(lines)):
                problems.append(Problem(other.path, 1, f"question ::{key}:: of {reference.path.name} is missing"))
    return problems


def sync_bank(bank_file: BankFile) -> BankSyncResult:
    """Create or update the pack bank of one file. Flushes; the caller commits."""
    bank = find_bank(bank_file.slug, bank_file.language)
    if bank is not None and bank.source is not BankSource.PACK:
        raise BankConflictError(f"bank '{bank_file.slug}.{bank_file.language}' was made on the web; rename the file")
    if bank is not None and bank.content_hash == bank_file.content_hash:
        return BankSyncResult(bank_file.slug, bank_file.language, SyncAction.UNCHANGED)
    created = bank is None
    if created:
        bank = QuestionBank(slug=bank_file.slug, language=bank_file.language, source=BankSource.PACK,
                            organisation_id=None, title=bank_file.title)
        db.session.add(bank)
        db.session.flush()
    bank.title = bank_file.title
    bank.content_hash = bank_file.content_hash
    counts = apply_questions(bank, bank_file.gift, actor=None, origin=VersionOrigin.PACK, mirror=True)
    return BankSyncResult(bank_file.slug, bank_file.language, SyncAction.CREATED if created else SyncAction.UPDATED,
                          counts.created, counts.versioned, counts.hidden)
