"""Competency tool packs on disk (competencies/<tool-slug>.toml): load and validate.

A problem is reported as `file:line: message` and names the key (``items[3].behaviours[2].group``),
so an author or CI goes straight to it. Used by `flask content validate|sync` and
`flask competencies import`.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.competencies.models import BehaviourGroup
from app.courses.packs import Problem

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*$")
LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
TOP_KEYS = {"slug", "version", "languages", "licence", "attribution", "name", "description", "items", "scenarios"}
ITEM_KEYS = {"code", "title", "description", "behaviours"}
SCENARIO_KEYS = {"slug", "elicits", "title", "background", "actor_instructions"}
MIN_SCENARIOS = 3
UNDETERMINED = "und"  # an attribution written once, in one language, for every reader


@dataclass
class PackBehaviour:
    code: str
    group: BehaviourGroup
    text: dict[str, str]


@dataclass
class PackItem:
    code: str
    title: dict[str, str]
    description: dict[str, str]
    behaviours: list[PackBehaviour] = field(default_factory=list)


@dataclass
class PackScenario:
    slug: str
    elicits: list[str]
    title: dict[str, str]
    background: dict[str, str]
    actor_instructions: dict[str, str]


@dataclass
class ToolPack:
    path: Path
    slug: str
    version: str
    languages: list[str]
    licence: str
    attribution: dict[str, str]
    name: dict[str, str]
    description: dict[str, str]
    items: list[PackItem]
    scenarios: list[PackScenario]
    content_hash: str


class _Checker:
    """Collects problems for one file; finds the line of a key by scanning the text (tomllib keeps none)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.problems: list[Problem] = []

    def table_line(self, header: str, occurrence: int) -> int:
        pattern = re.compile(rf"^\s*\[\[\s*{re.escape(header)}\s*\]\]")
        seen = -1
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                seen += 1
                if seen == occurrence:
                    return number
        return 1

    def key_line(self, name: str, after: int = 1) -> int:
        pattern = re.compile(rf"^\s*(\"?{re.escape(name)}\"?\s*=|\[\s*([\w.-]+\.)?{re.escape(name)}\s*\])")
        for number in range(after, len(self.lines) + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return after

    def error(self, line: int, where: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, f"{where}: {message}"))

    def warn(self, line: int, where: str, message: str) -> None:
        self.problems.append(Problem(self.path, line, f"{where}: {message}", is_error=False))

    def text(self, line: int, where: str, value: Any) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.error(line, where, "must be a non-empty string")
            return None
        return value.strip()

    def translated(self, line: int, where: str, value: Any, languages: list[str]) -> dict[str, str]:
        if not isinstance(value, dict):
            self.error(line, where, "must be a table with one text per language")
            return {}
        texts = {}
        for language in languages:
            text = value.get(language)
            if not isinstance(text, str) or not text.strip():
                self.error(line, where, f"missing translation for '{language}'")
            else:
                texts[language] = text.strip()
        for language in value:
            if language not in languages:
                self.warn(line, where, f"text for '{language}', which is not in 'languages'")
        return texts


def discover_tools(path: Path) -> list[Path]:
    """The tool files at path: the file itself, or every *.toml in the folder."""
    if path.is_file():
        return [path]
    return sorted(p for p in path.glob("*.toml") if not p.name.startswith((".", "_")))


def tools_root() -> Path:
    """Where the shared tool packs live: COMPETENCIES_PATH, else competencies/ at the repository root."""
    from flask import current_app

    from app.config import ROOT

    return Path(current_app.config.get("COMPETENCIES_PATH") or ROOT / "competencies")


def load_tool(path: Path, *, expect_slug_from_name: bool = True) -> tuple[ToolPack | None, list[Problem]]:
    """Read and check one tool file. Returns the pack (None when it has errors) and every problem."""
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    check = _Checker(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        check.error(int(match.group(1)) if match else 1, "file", f"invalid TOML: {error}")
        return None, check.problems
    pack = _read_tool(check, data, path.stem if expect_slug_from_name else None, hashlib.sha256(raw).hexdigest())
    if any(p.is_error for p in check.problems):
        return None, check.problems
    return pack, check.problems


def _read_tool(check: _Checker, data: dict[str, Any], file_slug: str | None, digest: str) -> ToolPack:
    for key in data:
        if key not in TOP_KEYS:
            check.warn(check.key_line(key), key, "unknown key (ignored)")
    for key in sorted(TOP_KEYS - set(data)):
        check.error(1, key, "missing required key")
    slug = check.text(check.key_line("slug"), "slug", data.get("slug")) if "slug" in data else None
    if slug is not None and not SLUG.match(slug):
        check.error(check.key_line("slug"), "slug", f"'{slug}' must be lowercase letters, digits and '-'")
    elif slug is not None and file_slug is not None and slug != file_slug:
        check.error(check.key_line("slug"), "slug", f"'{slug}' does not match the file name '{file_slug}.toml'")
    version = check.text(check.key_line("version"), "version", data.get("version")) if "version" in data else None
    languages = data.get("languages")
    if not isinstance(languages, list) or not languages or not all(
            isinstance(x, str) and LANGUAGE.match(x) for x in languages) or len(set(languages)) != len(languages):
        if "languages" in data:
            check.error(check.key_line("languages"), "languages", "must be a list of distinct codes such as 'es'")
        languages = []
    licence = check.text(check.key_line("licence"), "licence", data.get("licence")) if "licence" in data else None
    attribution = _attribution(check, data.get("attribution"), languages) if "attribution" in data else {}
    name = check.translated(check.key_line("name"), "name", data.get("name"), languages) if "name" in data else {}
    description = (check.translated(check.key_line("description"), "description", data.get("description"), languages)
                   if "description" in data else {})
    items = _read_items(check, data.get("items"), languages)
    scenarios = _read_scenarios(check, data.get("scenarios"), languages, {item.code for item in items})
    return ToolPack(path=check.path, slug=slug or "", version=version or "", languages=languages,
                    licence=licence or "", attribution=attribution, name=name, description=description,
                    items=items, scenarios=scenarios, content_hash=digest)


def _attribution(check: _Checker, value: Any, languages: list[str]) -> dict[str, str]:
    """One text for every reader (a string) or one per language (a table)."""
    line = check.key_line("attribution")
    if isinstance(value, str):
        text = check.text(line, "attribution", value)
        return {UNDETERMINED: text} if text else {}
    return check.translated(line, "attribution", value, languages)


def _read_items(check: _Checker, items: Any, languages: list[str]) -> list[PackItem]:
    if items is None:
        return []
    if not isinstance(items, list) or not items:
        check.error(check.key_line("items"), "items", "a tool needs at least one [[items]] table")
        return []
    result: list[PackItem] = []
    codes: set[str] = set()
    offset = 0  # [[items.behaviours]] tables before this item, to find their lines
    for index, item in enumerate(items):
        first = offset
        if isinstance(item, dict) and isinstance(item.get("behaviours"), list):
            offset += len(item["behaviours"])
        line = check.table_line("items", index)
        where = f"items[{index + 1}]"
        if not isinstance(item, dict):
            check.error(line, where, "must be a table")
            continue
        for key in item:
            if key not in ITEM_KEYS:
                check.warn(line, f"{where}.{key}", "unknown key (ignored)")
        code = item.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            check.error(line, f"{where}.code", "must be a code such as 'FHS-01'")
            continue
        if code in codes:
            check.error(line, f"{where}.code", f"duplicate code '{code}'")
            continue
        codes.add(code)
        where = f"items[{index + 1}] ({code})"
        title = check.translated(check.key_line("title", line), f"{where}.title", item.get("title"), languages)
        description = check.translated(check.key_line("description", line), f"{where}.description",
                                       item.get("description"), languages)
        behaviours = _read_behaviours(check, item.get("behaviours"), languages, codes, line, first, where)
        result.append(PackItem(code=code, title=title, description=description, behaviours=behaviours))
    return result


def _read_behaviours(check: _Checker, behaviours: Any, languages: list[str], codes: set[str], item_line: int,
                     first: int, where: str) -> list[PackBehaviour]:
    if not isinstance(behaviours, list) or not behaviours:
        check.error(item_line, f"{where}.behaviours", "an item needs [[items.behaviours]] tables")
        return []
    result = []
    for index, behaviour in enumerate(behaviours):
        line = check.table_line("items.behaviours", first + index)
        label = f"{where}.behaviours[{index + 1}]"
        if not isinstance(behaviour, dict):
            check.error(line, label, "must be a table")
            continue
        code = behaviour.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            check.error(line, f"{label}.code", "must be a code such as 'FHS-01-H1'")
            continue
        if code in codes:
            check.error(line, f"{label}.code", f"duplicate code '{code}'")
            continue
        codes.add(code)
        try:
            group = BehaviourGroup(behaviour.get("group"))
        except ValueError:
            check.error(check.key_line("group", line), f"{label}.group", "must be harmful, basic or advanced")
            continue
        texts = {key: value for key, value in behaviour.items() if key not in ("code", "group")}
        text = check.translated(line, f"{label} ({code})", texts, languages)
        result.append(PackBehaviour(code=code, group=group, text=text))
    groups = {b.group for b in result}
    if BehaviourGroup.BASIC not in groups:
        check.error(item_line, f"{where}.behaviours", "needs at least one basic behaviour")
    if BehaviourGroup.HARMFUL not in groups:
        check.warn(item_line, f"{where}.behaviours", "has no potentially harmful behaviour")
    return result


def _read_scenarios(check: _Checker, scenarios: Any, languages: list[str], item_codes: set[str]) -> list[PackScenario]:
    if scenarios is None:
        return []
    if not isinstance(scenarios, list) or len(scenarios) < MIN_SCENARIOS:
        check.error(check.key_line("scenarios"), "scenarios", f"a tool needs at least {MIN_SCENARIOS} [[scenarios]]")
        if not isinstance(scenarios, list):
            return []
    result = []
    slugs: set[str] = set()
    for index, scenario in enumerate(scenarios):
        line = check.table_line("scenarios", index)
        where = f"scenarios[{index + 1}]"
        if not isinstance(scenario, dict):
            check.error(line, where, "must be a table")
            continue
        for key in scenario:
            if key not in SCENARIO_KEYS:
                check.warn(line, f"{where}.{key}", "unknown key (ignored)")
        slug = scenario.get("slug")
        if not isinstance(slug, str) or not SLUG.match(slug) or slug in slugs:
            check.error(line, f"{where}.slug", "must be a unique slug of lowercase letters, digits and '-'")
            continue
        slugs.add(slug)
        where = f"scenarios[{index + 1}] ({slug})"
        elicits = scenario.get("elicits")
        if not isinstance(elicits, list) or not elicits or not all(isinstance(code, str) for code in elicits):
            check.error(check.key_line("elicits", line), f"{where}.elicits", "must list the item codes it elicits")
            elicits = []
        for code in elicits:
            if code not in item_codes:
                check.error(check.key_line("elicits", line), f"{where}.elicits", f"unknown item '{code}'")
        texts = {key: check.translated(check.key_line(key, line), f"{where}.{key}", scenario.get(key), languages)
                 for key in ("title", "background", "actor_instructions")}
        result.append(PackScenario(slug=slug, elicits=list(elicits), **texts))
    return result
