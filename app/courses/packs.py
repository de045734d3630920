"""Content packs on disk (modules/<slug>/course.toml + lessons/<lang>/*.md + assets/): load and validate.

Every problem is reported as `path:line: message`, pointing at the key in course.toml
or the line of the lesson, so an author (or CI) can jump straight to it.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.courses.lesson_checks import check_lesson_markdown
from app.courses.rendering import RENDERER_VERSION

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
RESERVED_SLUGS = {"authoring"}  # paths under /courses/ that a course slug must not shadow
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
TOP_LEVEL_KEYS = {"slug", "version", "languages", "estimated_hours", "licence", "title", "summary", "audience",
                  "sources", "modules", "quizzes", "certification"}
MODULE_KEYS = {"slug", "title", "lessons"}
LESSON_KEYS = {"slug", "minutes"}


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    is_error: bool = True

    def __str__(self) -> str:
        return f"{_display(self.path)}:{self.line}: {'' if self.is_error else 'warning: '}{self.message}"


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class PackLesson:
    slug: str
    minutes: int | None
    texts: dict[str, str] = field(default_factory=dict)  # language -> Markdown
    toml_line: int = 1  # where course.toml lists it, for problems about its files


@dataclass
class PackModule:
    slug: str
    title: dict[str, str]
    lessons: list[PackLesson]


@dataclass
class Pack:
    root: Path
    slug: str
    version: str
    languages: list[str]
    title: dict[str, str]
    summary: dict[str, str]
    audience: dict[str, str]
    estimated_hours: float | None
    licence: str | None
    sources: list[dict[str, str]]
    modules: list[PackModule]
    assets: dict[str, str]  # file name inside assets/ -> short content hash
    content_hash: str
    quizzes: list[Any] = field(default_factory=list)  # app.quizzes.quiz_sync.PackQuiz, from [[quizzes]]
    certification: Any = None  # app.certificates.rules.PackRule, from [certification]

    @property
    def lessons(self) -> list[PackLesson]:
        return [lesson for module in self.modules for lesson in module.lessons]


class _TomlLines:
    """Find the line of a key in course.toml by scanning its text (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def _find(self, pattern: re.Pattern[str], start: int = 0, stop: int | None = None) -> int | None:
        for index in range(start, len(self.lines) if stop is None else stop):
            if pattern.match(self.lines[index]):
                return index
        return None

    def table(self, header: str, occurrence: int, start: int = 0, stop: int | None = None) -> int | None:
        """0-based index of the n-th `[[header]]` line between start and stop."""
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(header)}\s*\]\]")
        index = start - 1
        for _ in range(occurrence + 1):
            found = self._find(pattern, index + 1, stop)
            if found is None:
                return None
            index = found
        return index

    def key(self, name: str, start: int = 0, stop: int | None = None) -> int:
        """1-based line of `name = ...` or `[name]` / `[x.name]` after start; else the start line."""
        pattern = re.compile(rf"^\s*(\"?{re.escape(name)}\"?\s*=|\[\s*([\w.-]+\.)?{re.escape(name)}\s*\])")
        found = self._find(pattern, start, stop)
        return (found if found is not None else start) + 1

    def module_span(self, index: int) -> tuple[int, int | None]:
        begin = self.table("modules", index)
        if begin is None:
            return 0, None
        return begin, self.table("modules", index + 1)

    def lesson_span(self, module: int, index: int) -> tuple[int, int | None]:
        begin, stop = self.module_span(module)
        first = self.table("modules.lessons", index, begin, stop)
        if first is None:
            return begin, stop
        following = self.table("modules.lessons", index + 1, begin, stop)
        return first, following if following is not None else stop


class _Checker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.toml_path = root / "course.toml"
        self.problems: list[Problem] = []

    def error(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    def warn(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message, is_error=False))


def discover(path: Path) -> list[Path]:
    """The pack folders at path: the folder itself if it holds course.toml, else its sub-folders."""
    if (path / "course.toml").is_file():
        return [path]
    return sorted(child for child in path.iterdir() if child.is_dir() and not child.name.startswith((".", "_")))


def load_pack(root: Path) -> tuple[Pack | None, list[Problem]]:
    """Read and check one pack. Returns the pack (None when it cannot even be read) and its problems."""
    check = _Checker(root)
    if not check.toml_path.is_file():
        check.error(check.toml_path, 1, "missing course.toml")
        return None, check.problems
    text = check.toml_path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        check.error(check.toml_path, int(match.group(1)) if match else 1, f"invalid TOML: {error}")
        return None, check.problems
    lines = _TomlLines(text)
    pack = _read_course(check, lines, data)
    if pack is not None:
        _check_lessons(check, pack)
    return pack, check.problems


def _string(check: _Checker, line: int, data: dict, key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            check.error(check.toml_path, line, f"missing required key '{key}'")
        return None
    if not isinstance(value, str) or not value.strip():
        check.error(check.toml_path, line, f"'{key}' must be a non-empty string")
        return None
    return value.strip()


def _translations(check: _Checker, line: int, data: dict, key: str, languages: list[str], *,
                  required: bool = True, where: str = "") -> dict[str, str]:
    value = data.get(key)
    label = f"{where}{key}"
    if value is None:
        if required:
            check.error(check.toml_path, line, f"missing required table '{label}' (one text per language)")
        return {}
    if not isinstance(value, dict):
        check.error(check.toml_path, line, f"'{label}' must be a table of language = text")
        return {}
    texts: dict[str, str] = {}
    for language in languages:
        text = value.get(language)
        if not isinstance(text, str) or not text.strip():
            check.error(check.toml_path, line, f"missing translation: '{label}' has no text for '{language}'")
        else:
            texts[language] = text.strip()
    for language in value:
        if language not in languages:
            check.warn(check.toml_path, line, f"'{label}' has text for '{language}', which is not in 'languages'")
    return texts


def _read_course(check: _Checker, lines: _TomlLines, data: dict[str, Any]) -> Pack | None:
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            check.warn(check.toml_path, lines.key(key), f"unknown key '{key}' (ignored)")
    slug = _string(check, lines.key("slug"), data, "slug")
    if slug is not None and not SLUG.match(slug):
        check.error(check.toml_path, lines.key("slug"), f"slug '{slug}' must be lowercase letters, digits and '-'")
    elif slug is not None and slug in RESERVED_SLUGS:
        check.error(check.toml_path, lines.key("slug"), f"slug '{slug}' is reserved; choose another")
    elif slug is not None and slug != check.root.name:
        check.error(check.toml_path, lines.key("slug"),
                    f"slug '{slug}' does not match the folder name '{check.root.name}'")
    version = _string(check, lines.key("version"), data, "version")
    languages = data.get("languages")
    if not isinstance(languages, list) or not languages or not all(isinstance(x, str) for x in languages):
        check.error(check.toml_path, lines.key("languages"), "'languages' must be a non-empty list of language codes")
        languages = []
    else:
        for language in languages:
            if not LANGUAGE.match(language):
                check.error(check.toml_path, lines.key("languages"),
                            f"'{language}' is not a language code such as 'es'")
        if len(set(languages)) != len(languages):
            check.error(check.toml_path, lines.key("languages"), "'languages' lists a language twice")
    hours = data.get("estimated_hours")
    if hours is None:
        check.error(check.toml_path, 1, "missing required key 'estimated_hours'")
    elif isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0:
        check.error(check.toml_path, lines.key("estimated_hours"), "'estimated_hours' must be a positive number")
        hours = None
    licence = _string(check, lines.key("licence"), data, "licence")
    title = _translations(check, lines.key("title"), data, "title", languages)
    summary = _translations(check, lines.key("summary"), data, "summary", languages)
    audience = _translations(check, lines.key("audience"), data, "audience", languages, required=False)
    sources = _read_sources(check, lines, data.get("sources", []))
    modules = _read_modules(check, lines, data.get("modules"), languages)
    from app.quizzes.quiz_sync import read_quizzes

    quizzes = read_quizzes(check, lines, data.get("quizzes"), languages, {m.slug for m in modules or []},
                           _translations)
    from app.certificates.rules import read_certification

    certification = read_certification(check, lines, data.get("certification"),
                                       {lesson.slug for m in modules or [] for lesson in m.lessons})
    if slug is None or version is None or not languages or modules is None:
        return None
    assets = _asset_versions(check.root / "assets")
    return Pack(root=check.root, slug=slug, version=version, languages=languages, title=title, summary=summary,
                audience=audience, estimated_hours=float(hours) if hours is not None else None, licence=licence,
                sources=sources, modules=modules, assets=assets, content_hash=_pack_hash(check.root),
                quizzes=quizzes, certification=certification)


def _read_sources(check: _Checker, lines: _TomlLines, sources: Any) -> list[dict[str, str]]:
    if not isinstance(sources, list):
        check.error(check.toml_path, lines.key("sources"), "'sources' must be a list of [[sources]] tables")
        return []
    result = []
    for index, source in enumerate(sources):
        begin = lines.table("sources", index) or 0
        if not isinstance(source, dict) or not isinstance(source.get("title"), str) or not source["title"].strip():
            check.error(check.toml_path, begin + 1, f"source {index + 1} needs a 'title'")
            continue
        url = source.get("url")
        if url is not None and (not isinstance(url, str) or not url.startswith(("https://", "http://"))):
            check.error(check.toml_path, lines.key("url", begin), f"source {index + 1}: 'url' must start with https://")
            url = None
        result.append({"title": source["title"].strip(), **({"url": url} if url else {})})
    return result


def _read_modules(check: _Checker, lines: _TomlLines, modules: Any, languages: list[str]) -> list[PackModule] | None:
    if not isinstance(modules, list) or not modules:
        check.error(check.toml_path, lines.key("modules"), "a course needs at least one [[modules]] table")
        return None
    result: list[PackModule] = []
    module_slugs: set[str] = set()
    lesson_slugs: set[str] = set()
    for m_index, module in enumerate(modules):
        begin, stop = lines.module_span(m_index)
        if not isinstance(module, dict):
            check.error(check.toml_path, begin + 1, f"module {m_index + 1} must be a table")
            continue
        for key in module:
            if key not in MODULE_KEYS:
                check.warn(check.toml_path, lines.key(key, begin, stop), f"unknown module key '{key}' (ignored)")
        slug_line = lines.key("slug", begin, stop)
        slug = _string(check, slug_line, module, "slug")
        if slug is not None and not SLUG.match(slug):
            check.error(check.toml_path, slug_line, f"module slug '{slug}' must be lowercase letters, digits and '-'")
        elif slug is not None and slug in module_slugs:
            check.error(check.toml_path, slug_line, f"duplicate module slug '{slug}'")
        module_slugs.add(slug or "")
        title = _translations(check, lines.key("title", begin, stop), module, "title", languages,
                              where=f"modules.{slug or m_index + 1}.")
        lessons = _read_lessons(check, lines, module.get("lessons"), m_index, lesson_slugs, slug_line)
        if slug is not None:
            result.append(PackModule(slug=slug, title=title, lessons=lessons))
    return result


def _read_lessons(check: _Checker, lines: _TomlLines, lessons: Any, m_index: int, seen: set[str],
                  module_line: int) -> list[PackLesson]:
    if not isinstance(lessons, list) or not lessons:
        check.error(check.toml_path, module_line, "a module needs at least one [[modules.lessons]] table")
        return []
    result = []
    for l_index, lesson in enumerate(lessons):
        begin, stop = lines.lesson_span(m_index, l_index)
        if not isinstance(lesson, dict):
            check.error(check.toml_path, begin + 1, f"lesson {l_index + 1} must be a table")
            continue
        for key in lesson:
            if key not in LESSON_KEYS:
                check.warn(check.toml_path, lines.key(key, begin, stop), f"unknown lesson key '{key}' (ignored)")
        slug_line = lines.key("slug", begin, stop)
        slug = _string(check, slug_line, lesson, "slug")
        minutes = lesson.get("minutes")
        if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0):
            check.error(check.toml_path, lines.key("minutes", begin, stop), "'minutes' must be a positive whole number")
            minutes = None
        if slug is None:
            continue
        if not SLUG.match(slug):
            check.error(check.toml_path, slug_line, f"lesson slug '{slug}' must be lowercase letters, digits and '-'")
            continue
        if slug in seen:
            check.error(check.toml_path, slug_line, f"duplicate lesson slug '{slug}'")
            continue
        seen.add(slug)
        result.append(PackLesson(slug=slug, minutes=minutes, toml_line=slug_line))
    return result


def _asset_versions(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def _pack_hash(root: Path) -> str:
    """One hash over every file of the pack (and the renderer version): unchanged pack, no writes."""
    digest = hashlib.sha256(f"renderer {RENDERER_VERSION}\n".encode())
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _check_lessons(check: _Checker, pack: Pack) -> None:
    slugs = {lesson.slug for lesson in pack.lessons}
    for lesson in pack.lessons:
        for language in pack.languages:
            path = pack.root / "lessons" / language / f"{lesson.slug}.md"
            if not path.is_file():
                check.error(check.toml_path, lesson.toml_line, f"missing translation: lesson '{lesson.slug}' "
                                                               f"has no file lessons/{language}/{lesson.slug}.md")
                continue
            text = path.read_text(encoding="utf-8")
            lesson.texts[language] = text
            for line, message in check_lesson_markdown(text, assets=pack.assets, lesson_slugs=slugs):
                check.error(path, line, message)
    for language in pack.languages:
        folder = pack.root / "lessons" / language
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            if path.stem not in slugs:
                check.warn(path, 1, "lesson file is not listed in course.toml")


def validate(path: Path) -> tuple[list[Pack], list[Problem]]:
    """Every pack under path, and every problem found (errors and warnings)."""
    packs: list[Pack] = []
    problems: list[Problem] = []
    for root in discover(path):
        pack, found = load_pack(root)
        problems.extend(found)
        if pack is not None:
            packs.append(pack)
    return packs, problems


def content_root() -> Path:
    """Where the packs live: CONTENT_PATH, else modules/ at the repository root."""
    from flask import current_app

    from app.config import ROOT

    return Path(current_app.config.get("CONTENT_PATH") or ROOT / "modules")
