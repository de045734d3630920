"""Guard the competency tool packs in competencies/*.toml until the real loader exists.

Checks the file schema only (keys, languages, codes, group counts, scenarios); the
clinical content is reviewed by people.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

PACK_DIR = Path(__file__).resolve().parent.parent / "competencies"
PACKS = sorted(PACK_DIR.glob("*.toml"))
LANGS = ("es", "en")
GROUPS = {"harmful": "H", "basic": "B", "advanced": "A"}
GROUP_LIMITS = {"harmful": (1, 3), "basic": (2, 4), "advanced": (1, 3)}
EXPECTED_PREFIX = {
    "foundational-helping-skills": "FHS",
    "pm-plus-strategy-skills": "PMP",
    "pfa-action-skills": "PFA",
}
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")

TOP_KEYS = {"slug", "version", "languages", "licence", "attribution", "name", "description",
            "items", "scenarios"}
ITEM_KEYS = {"code", "title", "description", "behaviours"}
BEHAVIOUR_KEYS = {"code", "group", "es", "en"}
SCENARIO_KEYS = {"slug", "elicits", "title", "background", "actor_instructions"}


def load(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def check_text(value: object, where: str) -> None:
    assert isinstance(value, str), f"{where}: not a string"
    assert value.strip(), f"{where}: empty"
    assert value == value.strip(), f"{where}: leading or trailing whitespace"
    assert "TODO" not in value and "..." not in value, f"{where}: placeholder text"


def check_translated(table: object, where: str, *, differ: bool = True) -> None:
    assert isinstance(table, dict), f"{where}: must be a table with es and en"
    assert set(table) == set(LANGS), f"{where}: languages {sorted(table)}"
    for lang in LANGS:
        check_text(table[lang], f"{where}.{lang}")
    if differ:
        assert table["es"] != table["en"], f"{where}: es and en are identical (untranslated?)"


def test_pack_directory_has_the_three_tools():
    assert {path.stem for path in PACKS} >= set(EXPECTED_PREFIX)


@pytest.fixture(params=PACKS, ids=[path.stem for path in PACKS])
def pack(request) -> tuple[Path, dict]:
    return request.param, load(request.param)


def test_top_level(pack):
    path, data = pack
    assert set(data) == TOP_KEYS, f"keys: {sorted(set(data) ^ TOP_KEYS)}"
    assert data["slug"] == path.stem and SLUG.match(data["slug"])
    assert SEMVER.match(data["version"])
    assert data["languages"] == list(LANGS)
    check_text(data["licence"], "licence")
    check_text(data["attribution"], "attribution")
    assert "not an official" in data["attribution"].lower()
    check_translated(data["name"], "name")
    check_translated(data["description"], "description")


def test_items_and_behaviours(pack):
    path, data = pack
    items = data["items"]
    assert isinstance(items, list) and items
    prefix = EXPECTED_PREFIX.get(data["slug"]) or items[0]["code"].split("-")[0]
    assert re.fullmatch(r"[A-Z]{2,4}", prefix)
    item_code = re.compile(rf"^{prefix}-\d{{2}}$")
    seen_codes: set[str] = set()
    for number, item in enumerate(items, start=1):
        where = f"{path.name} item {number}"
        assert set(item) == ITEM_KEYS, f"{where}: keys {sorted(set(item) ^ ITEM_KEYS)}"
        code = item["code"]
        assert item_code.match(code), f"{where}: bad code {code!r}"
        assert code == f"{prefix}-{number:02d}", f"{where}: codes must run 01, 02, … in order"
        assert code not in seen_codes
        seen_codes.add(code)
        check_translated(item["title"], f"{code}.title")
        check_translated(item["description"], f"{code}.description")

        behaviours = item["behaviours"]
        assert isinstance(behaviours, list)
        per_group: dict[str, list[str]] = {group: [] for group in GROUPS}
        for behaviour in behaviours:
            assert set(behaviour) == BEHAVIOUR_KEYS, f"{code}: behaviour keys {sorted(behaviour)}"
            group = behaviour["group"]
            assert group in GROUPS, f"{code}: unknown group {group!r}"
            bcode = behaviour["code"]
            assert bcode not in seen_codes, f"duplicate code {bcode}"
            seen_codes.add(bcode)
            per_group[group].append(bcode)
            check_text(behaviour["es"], f"{bcode}.es")
            check_text(behaviour["en"], f"{bcode}.en")
            assert behaviour["es"] != behaviour["en"], f"{bcode}: untranslated"
        for group, codes in per_group.items():
            low, high = GROUP_LIMITS[group]
            assert low <= len(codes) <= high, f"{code}: {len(codes)} {group} behaviours"
            letter = GROUPS[group]
            assert codes == [f"{code}-{letter}{n}" for n in range(1, len(codes) + 1)], (
                f"{code}: {group} codes must be {code}-{letter}1, {letter}2, … in order: {codes}"
            )


def test_foundational_tool_has_fifteen_items():
    data = load(PACK_DIR / "foundational-helping-skills.toml")
    assert len(data["items"]) == 15


def test_scenarios(pack):
    path, data = pack
    scenarios = data["scenarios"]
    assert isinstance(scenarios, list) and len(scenarios) >= 3, f"{path.name}: < 3 scenarios"
    item_codes = {item["code"] for item in data["items"]}
    slugs: set[str] = set()
    elicited: set[str] = set()
    for scenario in scenarios:
        slug = scenario.get("slug", "?")
        assert set(scenario) == SCENARIO_KEYS, f"{slug}: keys {sorted(set(scenario) ^ SCENARIO_KEYS)}"
        assert SLUG.match(slug) and slug not in slugs, f"bad or duplicate slug {slug!r}"
        slugs.add(slug)
        elicits = scenario["elicits"]
        assert isinstance(elicits, list) and elicits, f"{slug}: elicits nothing"
        assert len(set(elicits)) == len(elicits), f"{slug}: duplicate codes in elicits"
        unknown = set(elicits) - item_codes
        assert not unknown, f"{slug}: elicits unknown items {sorted(unknown)}"
        elicited.update(elicits)
        for key in ("title", "background", "actor_instructions"):
            check_translated(scenario[key], f"{slug}.{key}")
    missing = item_codes - elicited
    assert not missing, f"{path.name}: no scenario elicits {sorted(missing)}"


def test_codes_unique_across_tools():
    owners: dict[str, str] = {}
    for path in PACKS:
        data = load(path)
        for item in data["items"]:
            for code in [item["code"], *(b["code"] for b in item["behaviours"])]:
                assert code not in owners, f"{code} in {path.name} and {owners[code]}"
                owners[code] = path.name
