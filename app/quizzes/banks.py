"""Question banks: reading GIFT into keyed questions, versioning them, web banks and GIFT export.

A question is kept by (bank, key); its key is its GIFT ``::name::``. Every change of content
adds a QuestionVersion (never an overwrite), so attempts that copied an older version keep it.
Services flush and audit; the caller commits.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

import sqlalchemy as sa

from app.auth.models import User
from app.core import audit
from app.core.i18n import _
from app.courses.packs import LANGUAGE, SLUG
from app.extensions import db
from app.quizzes.gift import GiftError, GiftImport, GiftQuestion, GiftSyntaxError, export_gift, parse_gift
from app.quizzes.gift_parse import WHITESPACE
from app.quizzes.models import (
    BankSource,
    Question,
    QuestionBank,
    QuestionCategory,
    QuestionVersion,
    VersionOrigin,
)
from app.quizzes.serialise import content_hash, question_from_data, question_to_data

MAX_KEY = 200
MAX_GIFT_CHARS = 1_000_000
MAX_QUESTIONS = 2000
_LINES = re.compile(r"\r\n|\r|\n")


class BankError(Exception):
    """A rule of banks was broken; ``field`` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# -- reading GIFT into keyed questions -------------------------------------------------------

def decode_gift(data: bytes) -> str:
    """An uploaded GIFT file as text: UTF-8 (BOM or not) or UTF-16 with a BOM, as Moodle writes them."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
    raise BankError(_("This file is not UTF-8 text. Open it in a text editor, save it as UTF-8 and upload it again."),
                    "file")


def read_bank_text(text: str, *, require_names: bool) -> GiftImport:
    """Parse GIFT and give every question its key (its name); raise GiftSyntaxError listing every problem.

    Pack banks must name every question, each name once. A web import takes files as Moodle
    writes them: an unnamed question is named after its text, and a name used twice gets " (2)";
    the same file imported again finds the same keys.
    """
    if len(text) > MAX_GIFT_CHARS:
        raise GiftSyntaxError([GiftError(1, f"the text is longer than {MAX_GIFT_CHARS} characters; split it")])
    parsed = parse_gift(text)
    if len(parsed.questions) > MAX_QUESTIONS:
        raise GiftSyntaxError([GiftError(1, f"more than {MAX_QUESTIONS} questions; split the file")])
    lines = _LINES.split(text.removeprefix("\ufeff"))
    errors: list[GiftError] = []
    taken: dict[str, int] = {}
    rename: list[bool] = []
    for question in parsed.questions:
        problem = None
        if not _is_named(lines, question):
            problem = "question has no ::name::; in a bank file every question needs one (it is the question's key)"
        elif len(question.name) > MAX_KEY:
            problem = f"the name is longer than {MAX_KEY} characters"
        elif question.name in taken:
            problem = f"the name ::{question.name}:: is already used on line {taken[question.name]}; names must be unique"
        else:
            taken[question.name] = question.line
        if problem and require_names:
            errors.append(GiftError(question.line, problem))
        rename.append(problem is not None)
    if errors:
        raise GiftSyntaxError(errors)
    keyed = tuple(replace(q, name=_unique(q.name, taken, q.line)) if renamed else q
                  for q, renamed in zip(parsed.questions, rename))
    return GiftImport(keyed, parsed.categories)


def _is_named(lines: list[str], question: GiftQuestion) -> bool:
    """The parser names unnamed questions after their text; the line they start on tells them apart."""
    start = lines[question.line - 1].strip(WHITESPACE) if 0 < question.line <= len(lines) else ""
    return start.startswith("::") and bool(question.name)


def _unique(name: str, taken: dict[str, int], line: int) -> str:
    candidate, n = name[:MAX_KEY], 2
    while candidate in taken:
        suffix = f" ({n})"
        candidate, n = name[:MAX_KEY - len(suffix)] + suffix, n + 1
    taken[candidate] = line
    return candidate


# -- banks -----------------------------------------------------------------------------------

def find_bank(slug: str, language: str) -> QuestionBank | None:
    return db.session.scalar(sa.select(QuestionBank).where(QuestionBank.slug == slug,
                                                           QuestionBank.language == language))


def create_bank(organisation_id: int, slug: str, language: str, title: str, actor: User | None) -> QuestionBank:
    """A web bank of one organisation, empty; questions arrive by import or by the editor."""
    slug, title = slug.strip().lower(), title.strip()
    if not SLUG.match(slug):
        raise BankError(_("Use lower-case letters without accents, numbers and hyphens, starting with a letter "
                          "or number (up to 64)."), "slug")
    if not LANGUAGE.match(language):
        raise BankError(_("Choose a language."), "language")
    if not title:
        raise BankError(_("Give the bank a title."), "title")
    if find_bank(slug, language) is not None:
        raise BankError(_("A bank with this short name and language already exists. Choose another short name."),
                        "slug")
    bank = QuestionBank(slug=slug, language=language, organisation_id=organisation_id, title=title[:200],
                        source=BankSource.WEB)
    db.session.add(bank)
    db.session.flush()
    audit.record("quizzes.bank_created", bank, actor_id=actor.id if actor else None,
                 after={"slug": slug, "language": language, "title": bank.title})
    return bank


def ensure_category(bank: QuestionBank, path: str | None) -> QuestionCategory | None:
    if path is None:
        return None
    category = db.session.scalar(sa.select(QuestionCategory).where(QuestionCategory.bank_id == bank.id,
                                                                   QuestionCategory.path == path))
    if category is None:
        category = QuestionCategory(bank_id=bank.id, path=path[:300])
        db.session.add(category)
        db.session.flush()
    return category


def as_gift(question: Question, version: QuestionVersion | None = None) -> GiftQuestion:
    """A stored question (its current version, or the one given) as a GiftQuestion with its category."""
    version = version or question.current_version
    return question_from_data(version.data, category=question.category.path if question.category else None)


def bank_questions(bank: QuestionBank, *, hidden: bool = False) -> list[Question]:
    """The bank's questions in order, with their current versions loaded; hidden ones only when asked."""
    query = (sa.select(Question).where(Question.bank_id == bank.id)
             .options(sa.orm.selectinload(Question.current_version), sa.orm.selectinload(Question.category))
             .order_by(Question.position, Question.id))
    if not hidden:
        query = query.where(Question.is_hidden.is_(False))
    return list(db.session.scalars(query))


def export_bank(bank: QuestionBank) -> str:
    """The bank's visible questions as GIFT; import(export(bank)) gives the same questions and keys.

    GIFT cannot go back to "no category" once one is set, so questions without one come first.
    """
    questions = sorted(bank_questions(bank), key=lambda q: (q.category_id is not None, q.position, q.id))
    header = f"// title: {' '.join(bank.title.split())}\n// bank: {bank.slug}.{bank.language}\n\n"
    return header + export_gift(as_gift(question) for question in questions)


def title_from_gift(text: str) -> str | None:
    """The ``// title: ...`` comment at the top of a bank file, if it has one."""
    for line in _LINES.split(text.removeprefix("\ufeff"))[:20]:
        stripped = line.strip()
        if stripped.lower().startswith("// title:"):
            return stripped[len("// title:"):].strip()[:200] or None
    return None


# -- adding and versioning questions ---------------------------------------------------------

class PlanAction(StrEnum):
    NEW = "new"
    NEW_VERSION = "new_version"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class PlannedQuestion:
    question: GiftQuestion
    action: PlanAction
    is_hidden: bool = False  # an existing question that is hidden in the bank


@dataclass
class ApplyCounts:
    created: int = 0
    versioned: int = 0
    unchanged: int = 0
    hidden: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "versioned": self.versioned, "unchanged": self.unchanged,
                "hidden": self.hidden}


def _existing(bank: QuestionBank) -> dict[str, Question]:
    query = (sa.select(Question).where(Question.bank_id == bank.id)
             .options(sa.orm.selectinload(Question.current_version)))
    return {question.key: question for question in db.session.scalars(query)}


def plan_questions(bank: QuestionBank, questions: tuple[GiftQuestion, ...]) -> list[PlannedQuestion]:
    """What adding these questions to the bank would do to each: new, new version or unchanged."""
    existing = _existing(bank)
    planned = []
    for question in questions:
        stored = existing.get(question.name)
        if stored is None:
            planned.append(PlannedQuestion(question, PlanAction.NEW))
            continue
        same = stored.current_version is not None and (
            stored.current_version.content_hash == content_hash(question_to_data(question)))
        planned.append(PlannedQuestion(question, PlanAction.UNCHANGED if same else PlanAction.NEW_VERSION,
                                       stored.is_hidden))
    return planned


def apply_questions(bank: QuestionBank, gift: GiftImport, *, actor: User | None, origin: VersionOrigin,
                    note: str | None = None, mirror: bool = False) -> ApplyCounts:
    """Add or version every question of ``gift`` (keys already assigned). Flushes.

    ``mirror`` (bank files): positions follow the file, questions in it are shown and those
    missing from it are hidden, never deleted. Otherwise new questions go after the others.
    """
    # One writer per bank at a time (PostgreSQL), so two imports cannot both add the same new key.
    db.session.execute(sa.select(QuestionBank.id).where(QuestionBank.id == bank.id).with_for_update())
    for path in gift.categories:
        ensure_category(bank, path)
    existing = _existing(bank)
    counts = ApplyCounts()
    next_position = max((q.position for q in existing.values()), default=-1) + 1
    for index, gift_question in enumerate(gift.questions):
        category = ensure_category(bank, gift_question.category)
        question = existing.get(gift_question.name)
        if question is None:
            question = Question(bank_id=bank.id, key=gift_question.name, current_number=0,
                                position=index if mirror else next_position)
            next_position += 1
            db.session.add(question)
            counts.created += 1
        if _add_version(question, gift_question, actor, origin, note):
            counts.versioned += question.current_number > 1
        else:
            counts.unchanged += 1
        question.category_id = category.id if category else None
        if mirror:
            question.position = index
            question.is_hidden = False
    if mirror:
        keep = {question.name for question in gift.questions}
        for key, question in existing.items():
            if key not in keep and not question.is_hidden:
                question.is_hidden = True
                counts.hidden += 1
    db.session.flush()
    return counts


def _add_version(question: Question, gift_question: GiftQuestion, actor: User | None, origin: VersionOrigin,
                 note: str | None) -> bool:
    """A new version when the content differs from the current one; False when nothing changed."""
    data = question_to_data(gift_question)
    digest = content_hash(data)
    if question.id is not None:
        # Lock the row so two editors cannot both take the next version number (PostgreSQL; SQLite
        # already holds the write lock for a POST).
        db.session.execute(sa.select(Question.id).where(Question.id == question.id).with_for_update())
        current = question.current_version
        if current is not None and current.content_hash == digest:
            return False
    else:
        db.session.flush()
    number = (db.session.scalar(sa.select(sa.func.max(QuestionVersion.number))
                                .where(QuestionVersion.question_id == question.id)) or 0) + 1
    db.session.add(QuestionVersion(question_id=question.id, number=number, qtype=gift_question.qtype, data=data,
                                   content_hash=digest, created_by_id=actor.id if actor else None,
                                   change_note=(note or "").strip()[:300] or None, origin=origin))
    question.current_number = number
    db.session.flush()
    db.session.expire(question, ["current_version", "versions"])
    return True


def save_question(bank: QuestionBank, question: Question | None, text: str, note: str | None,
                  actor: User) -> tuple[Question, bool]:
    """Add a question to a web bank, or save an edit as a new version; False when nothing changed.

    The text is one question in GIFT, with an optional ``$CATEGORY:`` line. Its ``::name::`` is its
    key: an edit keeps it (left out, it is filled in); a new question needs a name not yet used.
    """
    gift = read_bank_text(text, require_names=False)
    if len(gift.questions) != 1:
        raise BankError(_("Write exactly one question (found %(count)s).", count=len(gift.questions)), "text")
    parsed = gift.questions[0]
    lines = _LINES.split(text.removeprefix("\ufeff"))
    if question is not None:
        if _is_named(lines, parsed) and parsed.name != question.key:
            raise BankError(_("Keep the name ::%(key)s::. It identifies the question in quizzes. To write a "
                              "different question, add a new one.", key=question.key), "text")
        parsed = replace(parsed, name=question.key)
    elif parsed.name in _existing(bank):
        raise BankError(_("This bank already has a question named ::%(key)s::. Choose another name.",
                          key=parsed.name), "text")
    before = {"version": question.current_number, "category": question.category.path if question.category else None} \
        if question is not None else None
    if question is None:
        counts = apply_questions(bank, GiftImport((parsed,), gift.categories), actor=actor,
                                 origin=VersionOrigin.EDITOR, note=note)
        question = _existing(bank)[parsed.name]
        changed = bool(counts.created)
        action = "quizzes.question_created"
    else:
        category = ensure_category(bank, parsed.category)
        changed = _add_version(question, parsed, actor, VersionOrigin.EDITOR, note)
        moved = question.category_id != (category.id if category else None)
        question.category_id = category.id if category else None
        db.session.flush()
        changed = changed or moved
        action = "quizzes.question_edited"
    if changed:
        audit.record(action, question, organisation_id=bank.organisation_id, actor_id=actor.id, before=before,
                     after={"bank": f"{bank.slug}.{bank.language}", "key": question.key,
                            "version": question.current_number, "category": parsed.category,
                            "note": (note or "").strip()[:300] or None})
    return question, changed


def set_question_hidden(question: Question, hidden: bool, actor: User) -> None:
    """Retire a question from new quizzes (or bring it back); attempts that used it keep their copy."""
    if question.is_hidden == hidden:
        return
    question.is_hidden = hidden
    db.session.flush()
    audit.record("quizzes.question_hidden" if hidden else "quizzes.question_shown", question,
                 organisation_id=question.bank.organisation_id, actor_id=actor.id,
                 after={"key": question.key, "hidden": hidden})
