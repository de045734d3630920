"""import(export(bank)) reproduces the bank: Moodle's own files and both seed banks, in both languages."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.quizzes.bank_sync import load_bank_file, sync_bank
from app.quizzes.banks import apply_questions, bank_questions, create_bank, export_bank, find_bank, read_bank_text
from app.quizzes.models import VersionOrigin

TESTS = Path(__file__).resolve().parent
MOODLE = TESTS / "fixtures" / "gift"
SEED = TESTS.parent / "quizzes"


def _snapshot(bank):
    return [(q.key, q.category.path if q.category else None, q.current_version.qtype, q.current_version.data)
            for q in bank_questions(bank)]


def _import(org, slug: str, text: str):
    bank = create_bank(org.id, slug, "es", slug, None)
    apply_questions(bank, read_bank_text(text, require_names=False), actor=None, origin=VersionOrigin.IMPORT)
    return bank


@pytest.mark.parametrize("name", ["moodle-examples.gift", "moodle-test-questions.gift"])
def test_moodle_files(org, name):
    original = _import(org, "moodle-a", (MOODLE / name).read_text(encoding="utf-8"))
    exported = export_bank(original)
    again = _import(org, "moodle-b", exported)
    assert _snapshot(again) == _snapshot(original)
    assert len(_snapshot(original)) == len(read_bank_text((MOODLE / name).read_text(encoding="utf-8"),
                                                         require_names=False).questions)
    assert export_bank(again).split("\n", 2)[2] == exported.split("\n", 2)[2]  # same text after the title lines


@pytest.mark.parametrize("name", sorted(path.name for path in SEED.glob("*.gift")))
def test_seed_banks(org, name):
    bank_file, problems = load_bank_file(SEED / name)
    assert bank_file is not None, problems
    sync_bank(bank_file)
    pack = find_bank(bank_file.slug, bank_file.language)
    again = _import(org, "seed-copy", export_bank(pack))
    assert _snapshot(again) == _snapshot(pack)
    assert [q.name for q in bank_file.gift.questions] == [key for key, *_ in _snapshot(again)]
