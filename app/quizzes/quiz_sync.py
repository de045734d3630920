"""Quizzes in course packs: the ``[[quizzes]]`` tables of course.toml, checked and upserted by slug.

A pack quiz names a question bank (``quizzes/<bank>.<lang>.gift``) and its questions by key,
or draws N at random from a bank category. ``flask content validate`` reports an unknown bank,
key or category as ``course.toml:line: message``; ``flask content sync`` upserts the quizzes
with the course. A quiz that leaves the pack is unpublished, never deleted: attempts keep it.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.quizzes.gift import GiftSyntaxError, parse_gift
from app.quizzes.models import FeedbackTiming, GradingMethod, Quiz, QuizKind, QuizSlot

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
QUIZ_KEYS = {"slug", "kind", "bank", "module", "title", "intro", "pass_mark", "max_attempts", "grading_method",
             "time_limit_minutes", "feedback_timing", "shuffle_questions", "shuffle_answers", "questions_per_page",
             "questions"}
KIND_ORDER = {QuizKind.PRE_TEST: 0, QuizKind.MODULE_CHECK: 1, QuizKind.PRACTICE: 1, QuizKind.POST_TEST: 2}


@dataclass
class PackSlot:
    question_key: str | None = None
    category_path: str | None = None
    draw_count: int = 1
    mark: Decimal = Decimal(1)


@dataclass
class PackQuiz:
    slug: str
    kind: QuizKind
    bank: str
    title: dict[str, str]
    intro: dict[str, str] = field(default_factory=dict)
    module: str | None = None
    pass_mark: Decimal = Decimal(80)
    max_attempts: int | None = None
    grading_method: GradingMethod = GradingMethod.HIGHEST
    time_limit_minutes: int | None = None
    feedback_timing: FeedbackTiming = FeedbackTiming.AFTER_SUBMIT
    shuffle_questions: bool = False
    shuffle_answers: bool = False
    questions_per_page: int = 1
    slots: list[PackSlot] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        data = {**self.__dict__, "slots": [slot.__dict__ for slot in self.slots]}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def banks_folder(pack_root: Path) -> Path:
    """Where a pack's banks live: QUIZZES_PATH; else ``quizzes/`` beside the packs folder (modules/../quizzes)
    or beside the pack itself (a lone copy with its banks); else the content folder's banks (a pack exported
    elsewhere)."""
    from flask import current_app, has_app_context

    configured = current_app.config.get("QUIZZES_PATH") if has_app_context() else None
    if configured:
        return Path(configured)
    root = pack_root.resolve()
    for candidate in (root.parent.parent / "quizzes", root.parent / "quizzes"):
        if candidate.is_dir():
            return candidate
    if has_app_context():
        from app.courses.packs import content_root

        return content_root().parent / "quizzes"
    return root.parent.parent / "quizzes"


class _BankFiles:
    """The GIFT files of the banks a pack names, parsed once: keys and categories per language."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[tuple[str, str], dict[str, str | None] | str] = {}

    def questions(self, slug: str, language: str) -> dict[str, str | None] | str:
        """key -> category of every question, or an error message when the file is missing or broken."""
        if (slug, language) not in self._cache:
            path = self.folder / f"{slug}.{language}.gift"
            if not path.is_file():
                self._cache[slug, language] = f"unknown bank '{slug}': no file quizzes/{path.name}"
            else:
                try:
                    parsed = parse_gift(path.read_text(encoding="utf-8"))
                except GiftSyntaxError as error:
                    self._cache[slug, language] = f"bank quizzes/{path.name} does not parse: {error}"
                else:
                    self._cache[slug, language] = {q.name: q.category for q in parsed.questions}
        return self._cache[slug, language]


def in_category(category: str | None, path: str) -> bool:
    """A question drawn from ``path`` may sit in it or in one of its sub-categories."""
    wanted = path.strip("/")
    return category is not None and (category.strip("/") == wanted or category.strip("/").startswith(wanted + "/"))


def read_quizzes(check: Any, lines: Any, raw: Any, languages: list[str], module_slugs: set[str],
                 translations: Any) -> list[PackQuiz]:
    """Check the ``[[quizzes]]`` tables; problems go to ``check`` (the pack checker of app.courses.packs)."""
    if raw is None:
        return []
    path = check.toml_path
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        check.error(path, lines.key("quizzes"), "'quizzes' must be a list of [[quizzes]] tables")
        return []
    banks = _BankFiles(banks_folder(check.root))
    result: list[PackQuiz] = []
    seen: set[str] = set()
    for index, data in enumerate(raw):
        begin = lines.table("quizzes", index) or 0
        stop = lines.table("quizzes", index + 1)
        quiz = _read_quiz(check, lines, data, begin, stop, languages, module_slugs, translations, banks)
        if quiz is None:
            continue
        if quiz.slug in seen:
            check.error(path, lines.key("slug", begin, stop), f"duplicate quiz slug '{quiz.slug}'")
            continue
        seen.add(quiz.slug)
        result.append(quiz)
    return result


def _choice(check: Any, line: int, data: dict, key: str, enum: type, default: Any) -> Any:
    value = data.get(key, default.value)
    try:
        return enum(value)
    except ValueError:
        check.error(check.toml_path, line, f"'{key}' must be one of: {', '.join(m.value for m in enum)}")
        return default


def _whole(check: Any, line: int, data: dict, key: str, *, minimum: int = 1) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        check.error(check.toml_path, line, f"'{key}' must be a whole number of at least {minimum}")
        return None
    return value


def _flag(check: Any, line: int, data: dict, key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        check.error(check.toml_path, line, f"'{key}' must be true or false")
        return False
    return value


def _read_quiz(check: Any, lines: Any, data: dict, begin: int, stop: int | None, languages: list[str],
               module_slugs: set[str], translations: Any, banks: _BankFiles) -> PackQuiz | None:
    path = check.toml_path

    def line(key: str) -> int:
        return lines.key(key, begin, stop)

    for key in data:
        if key not in QUIZ_KEYS:
            check.warn(path, line(key), f"unknown quiz key '{key}' (ignored)")
    slug, bank = data.get("slug"), data.get("bank")
    if not isinstance(slug, str) or not SLUG.match(slug):
        check.error(path, line("slug") if "slug" in data else begin + 1,
                    "a quiz needs a 'slug' of lowercase letters, digits and '-'")
        return None
    if "kind" not in data:
        check.error(path, begin + 1, f"quiz '{slug}': missing required key 'kind'")
    kind = _choice(check, line("kind"), data, "kind", QuizKind, QuizKind.PRACTICE)
    title = translations(check, line("title"), data, "title", languages, where=f"quizzes.{slug}.")
    intro = translations(check, line("intro"), data, "intro", languages, required=False, where=f"quizzes.{slug}.")
    module = data.get("module")
    if module is not None and module not in module_slugs:
        check.error(path, line("module"), f"quiz '{slug}': no module '{module}' in this course")
        module = None
    pass_mark = data.get("pass_mark", 80)
    if isinstance(pass_mark, bool) or not isinstance(pass_mark, (int, float)) or not 0 <= pass_mark <= 100:
        check.error(path, line("pass_mark"), "'pass_mark' must be a percentage from 0 to 100")
        pass_mark = 80
    quiz = PackQuiz(
        slug=slug, kind=kind, bank=bank if isinstance(bank, str) else "", title=title, intro=intro, module=module,
        pass_mark=Decimal(str(pass_mark)), max_attempts=_whole(check, line("max_attempts"), data, "max_attempts"),
        grading_method=_choice(check, line("grading_method"), data, "grading_method", GradingMethod,
                               GradingMethod.HIGHEST),
        time_limit_minutes=_whole(check, line("time_limit_minutes"), data, "time_limit_minutes"),
        feedback_timing=_choice(check, line("feedback_timing"), data, "feedback_timing", FeedbackTiming,
                                FeedbackTiming.AFTER_SUBMIT),
        shuffle_questions=_flag(check, line("shuffle_questions"), data, "shuffle_questions"),
        shuffle_answers=_flag(check, line("shuffle_answers"), data, "shuffle_answers"),
        questions_per_page=_whole(check, line("questions_per_page"), data, "questions_per_page") or 1,
    )
    if not isinstance(bank, str) or not bank:
        check.error(path, begin + 1, f"quiz '{slug}': missing required key 'bank'")
        return None
    quiz.slots = _read_slots(check, line("questions"), data.get("questions"), slug, bank, languages, banks)
    return quiz


def _read_slots(check: Any, line: int, raw: Any, slug: str, bank: str, languages: list[str],
                banks: _BankFiles) -> list[PackSlot]:
    path = check.toml_path
    if not isinstance(raw, list) or not raw:
        check.error(path, line, f"quiz '{slug}': 'questions' must list question keys or draws")
        return []
    contents = {}
    for language in languages:
        found = banks.questions(bank, language)
        if isinstance(found, str):
            check.error(path, line, f"quiz '{slug}': {found}")
        else:
            contents[language] = found
    slots: list[PackSlot] = []
    for item in raw:
        slot = _read_slot(check, line, item, slug)
        if slot is None:
            continue
        for language, questions in contents.items():
            if slot.question_key is not None and slot.question_key not in questions:
                check.error(path, line, f"quiz '{slug}': unknown question key '{slot.question_key}' "
                                        f"in quizzes/{bank}.{language}.gift")
            if slot.category_path is not None:
                available = sum(in_category(category, slot.category_path) for category in questions.values())
                if available < slot.draw_count:
                    check.error(path, line, f"quiz '{slug}': category '{slot.category_path}' of "
                                            f"quizzes/{bank}.{language}.gift has {available} question(s), "
                                            f"{slot.draw_count} to draw")
        slots.append(slot)
    keys = [slot.question_key for slot in slots if slot.question_key]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        check.error(path, line, f"quiz '{slug}': question '{key}' is listed twice")
    return slots


def _read_slot(check: Any, line: int, item: Any, slug: str) -> PackSlot | None:
    if isinstance(item, str) and item.strip():
        return PackSlot(question_key=item.strip())
    if isinstance(item, dict):
        mark = item.get("mark", 1)
        if isinstance(mark, bool) or not isinstance(mark, (int, float)) or mark <= 0:
            check.error(check.toml_path, line, f"quiz '{slug}': 'mark' must be a positive number")
            return None
        draw = item.get("draw")
        if isinstance(draw, dict):
            category, count = draw.get("category"), draw.get("count", 1)
            if not isinstance(category, str) or not category.strip() or isinstance(count, bool) or \
                    not isinstance(count, int) or count < 1:
                check.error(check.toml_path, line, f"quiz '{slug}': a draw needs a 'category' and a 'count' of 1 or more")
                return None
            return PackSlot(category_path=category.strip(), draw_count=count, mark=Decimal(str(mark)))
        key = item.get("key")
        if isinstance(key, str) and key.strip():
            return PackSlot(question_key=key.strip(), mark=Decimal(str(mark)))
    check.error(check.toml_path, line, f"quiz '{slug}': each question is a key, "
                                       f"{{key = ..., mark = N}} or {{draw = {{category = ..., count = N}}}}")
    return None


# -- sync ------------------------------------------------------------------------------------

def sync_quizzes(course: Any, quizzes: list[PackQuiz]) -> int:
    """Upsert the pack's quizzes of a course (by slug); returns how many were created or changed. Flushes."""
    from app.courses.models import CourseModule

    existing = {q.slug: q for q in db.session.scalars(sa.select(Quiz).where(Quiz.course_id == course.id))}
    modules = {m.slug: m.id for m in db.session.scalars(sa.select(CourseModule).where(CourseModule.course_id == course.id))}
    changed = 0
    for pack_quiz in quizzes:
        quiz = existing.get(pack_quiz.slug)
        if quiz is not None and quiz.content_hash == pack_quiz.content_hash and quiz.is_published:
            continue
        if quiz is None:
            quiz = Quiz(course_id=course.id, slug=pack_quiz.slug)
            db.session.add(quiz)
        quiz.kind, quiz.bank_slug, quiz.title, quiz.intro = (pack_quiz.kind, pack_quiz.bank, pack_quiz.title,
                                                            pack_quiz.intro)
        quiz.module_id = modules.get(pack_quiz.module) if pack_quiz.module else None
        for name in ("pass_mark", "max_attempts", "grading_method", "time_limit_minutes", "feedback_timing",
                     "shuffle_questions", "shuffle_answers", "questions_per_page"):
            setattr(quiz, name, getattr(pack_quiz, name))
        quiz.is_published = True
        quiz.content_hash = pack_quiz.content_hash
        quiz.slots = [QuizSlot(position=position, question_key=slot.question_key, category_path=slot.category_path,
                               draw_count=slot.draw_count, mark=slot.mark)
                      for position, slot in enumerate(pack_quiz.slots)]
        changed += 1
    kept = {q.slug for q in quizzes}
    for slug, quiz in existing.items():
        if slug not in kept and quiz.is_published:
            quiz.is_published = False
            changed += 1
    db.session.flush()
    return changed


# -- export ----------------------------------------------------------------------------------

def _toml_number(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(float(value))


def quizzes_toml(course: Any, languages: list[str]) -> list[str]:
    """The course's ``[[quizzes]]`` tables for ``flask content export`` (defaults left out, as authors write them)."""
    lines: list[str] = []

    def string(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    def texts(header: str, values: dict[str, str]) -> list[str]:
        return [f"[{header}]", *(f"{x} = {string(values[x])}" for x in languages if values.get(x))]

    quizzes = db.session.scalars(sa.select(Quiz).where(Quiz.course_id == course.id, Quiz.is_published.is_(True))
                                 .order_by(Quiz.id))
    defaults = PackQuiz(slug="", kind=QuizKind.PRACTICE, bank="", title={})
    for quiz in quizzes:
        lines += ["", "[[quizzes]]", f"slug = {string(quiz.slug)}", f"kind = {string(quiz.kind.value)}",
                  f"bank = {string(quiz.bank_slug)}"]
        if quiz.module is not None:
            lines.append(f"module = {string(quiz.module.slug)}")
        if quiz.pass_mark != defaults.pass_mark:
            lines.append(f"pass_mark = {_toml_number(quiz.pass_mark)}")
        for name in ("max_attempts", "time_limit_minutes"):
            if getattr(quiz, name) is not None:
                lines.append(f"{name} = {getattr(quiz, name)}")
        for name in ("grading_method", "feedback_timing"):
            if getattr(quiz, name) != getattr(defaults, name):
                lines.append(f"{name} = {string(getattr(quiz, name).value)}")
        for name in ("shuffle_questions", "shuffle_answers"):
            if getattr(quiz, name):
                lines.append(f"{name} = true")
        if quiz.questions_per_page != 1:
            lines.append(f"questions_per_page = {quiz.questions_per_page}")
        lines.append(f"questions = [{', '.join(_slot_toml(slot, string) for slot in quiz.slots)}]")
        lines += texts("quizzes.title", quiz.title)
        if any(quiz.intro.get(x) for x in languages):
            lines += texts("quizzes.intro", quiz.intro)
    return lines


def _slot_toml(slot: QuizSlot, string: Any) -> str:
    mark = "" if slot.mark == 1 else f", mark = {_toml_number(slot.mark)}"
    if slot.question_key:
        return string(slot.question_key) if not mark else f"{{ key = {string(slot.question_key)}{mark} }}"
    return f"{{ draw = {{ category = {string(slot.category_path)}, count = {slot.draw_count} }}{mark} }}"
