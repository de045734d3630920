"""Bank files in quizzes/: flask content validate names file and line; sync is idempotent and versions questions."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.quizzes.bank_sync import load_bank_file, sync_bank, validate_banks
from app.quizzes.models import BankSource, Question, QuestionBank, QuestionVersion, VersionOrigin

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "quizzes"

SMALL = """// title: Small bank
$CATEGORY: small/one

::S-01::Is water wet?{T#No, it is.#Yes.}

::S-02::Pick the right one{=right#Yes ~wrong#No}

$CATEGORY: small/two

::S-03::Capital of Peru?{=Lima#Yes}
"""


@pytest.fixture
def quizzes_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "quizzes"
    folder.mkdir()
    monkeypatch.setitem(app.config, "QUIZZES_PATH", str(folder))
    return folder


def _bank(slug="small", language="es") -> QuestionBank:
    return db.session.scalar(sa.select(QuestionBank).where(QuestionBank.slug == slug,
                                                           QuestionBank.language == language))


def _sync(path: Path):
    bank_file, problems = load_bank_file(path)
    assert bank_file is not None, problems
    return sync_bank(bank_file)


def test_sync_creates_the_bank_with_categories_and_first_versions(quizzes_dir):
    path = quizzes_dir / "small.es.gift"
    path.write_text(SMALL, encoding="utf-8")
    result = _sync(path)
    assert str(result) == "created   bank small.es (questions: 3 created, 0 new versions, 0 hidden)"
    bank = _bank()
    assert bank.title == "Small bank" and bank.source is BankSource.PACK and bank.organisation_id is None
    assert [c.path for c in bank.categories] == ["small/one", "small/two"]
    assert [(q.key, q.current_number, q.category.path) for q in bank.questions] == [
        ("S-01", 1, "small/one"), ("S-02", 1, "small/one"), ("S-03", 1, "small/two")]
    version = bank.questions[0].current_version
    assert version.origin is VersionOrigin.PACK and version.data["answers"][0]["feedback"] == "Yes."


def test_sync_is_idempotent(quizzes_dir):
    path = quizzes_dir / "small.es.gift"
    path.write_text(SMALL, encoding="utf-8")
    _sync(path)
    versions = db.session.scalar(sa.select(sa.func.count(QuestionVersion.id)))
    assert str(_sync(path)) == "unchanged bank small.es"
    assert db.session.scalar(sa.select(sa.func.count(QuestionVersion.id))) == versions


def test_a_changed_question_gets_a_new_version_and_a_removed_one_is_hidden(quizzes_dir):
    path = quizzes_dir / "small.es.gift"
    path.write_text(SMALL, encoding="utf-8")
    _sync(path)
    first = _bank().questions[1].current_version
    first_data = dict(first.data)
    changed = SMALL.replace("{=right#Yes ~wrong#No}", "{=right#Yes, well done ~wrong#No}")
    changed = changed.replace("::S-03::Capital of Peru?{=Lima#Yes}", "::S-04::Capital of Mexico?{=Mexico City#Yes}")
    path.write_text(changed, encoding="utf-8")
    result = _sync(path)
    assert str(result) == "updated   bank small.es (questions: 1 created, 1 new versions, 1 hidden)"
    db.session.expire_all()
    questions = {q.key: q for q in _bank().questions}
    assert questions["S-02"].current_number == 2
    assert [v.number for v in questions["S-02"].versions] == [1, 2]
    old = db.session.get(QuestionVersion, first.id)
    assert old.data == first_data  # the first version is never overwritten
    assert questions["S-02"].current_version.data["answers"][0]["feedback"] == "Yes, well done"
    assert questions["S-01"].current_number == 1
    assert questions["S-03"].is_hidden and questions["S-03"].versions  # hidden, not deleted
    assert not questions["S-04"].is_hidden

    path.write_text(SMALL, encoding="utf-8")  # S-03 comes back; S-02 goes back to its old text
    _sync(path)
    db.session.expire_all()
    questions = {q.key: q for q in _bank().questions}
    assert not questions["S-03"].is_hidden and questions["S-03"].current_number == 1
    assert questions["S-02"].current_number == 3 and questions["S-04"].is_hidden
    assert [q.key for q in _bank().questions if not q.is_hidden] == ["S-01", "S-02", "S-03"]


def test_a_web_bank_is_never_overwritten_by_a_file(quizzes_dir, org):
    from app.quizzes.bank_sync import BankConflictError
    from app.quizzes.banks import create_bank

    create_bank(org.id, "small", "es", "Ours", actor=None)
    path = quizzes_dir / "small.es.gift"
    path.write_text(SMALL, encoding="utf-8")
    bank_file, _ = load_bank_file(path)
    with pytest.raises(BankConflictError):
        sync_bank(bank_file)


@pytest.mark.parametrize(("name", "text", "line", "message"), [
    ("bad.es.gift", "::A::Fine{T}\n\n::B::Broken{=one ~two\n", 3, "'{' is never closed by '}'"),
    ("bad.es.gift", "::A::Fine{T}\n\n\n::B::Pick{=%50%one ~two}\n", 4, "'=' is always 100%"),
    ("bad.es.gift", "::A::Fine{T}\n\nNo name here{T}\n", 3, "question has no ::name::"),
    ("bad.es.gift", "::A::Fine{T}\n\n::A::Again{F}\n", 3, "the name ::A:: is already used on line 1"),
    ("Bad_Name.gift", "::A::Fine{T}\n", 1, "file name must be <bank-slug>.<language>.gift"),
])
def test_validate_names_file_and_line(app, quizzes_dir, name, text, line, message):
    path = quizzes_dir / name
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["content", "validate"])
    assert result.exit_code == 1, result.output
    assert f"{path}:{line}: {message}" in result.output, result.output
    assert "question bank file(s) checked: " in result.output


def test_validate_requires_the_same_keys_in_every_language(quizzes_dir):
    (quizzes_dir / "small.es.gift").write_text(SMALL, encoding="utf-8")
    (quizzes_dir / "small.en.gift").write_text(SMALL.replace("::S-02::", "::S-20::"), encoding="utf-8")
    _, problems = validate_banks(quizzes_dir)
    messages = sorted(f"{p.path.name}:{p.line}: {p.message}" for p in problems)
    assert messages == ["small.es.gift:1: question ::S-20:: of small.en.gift is missing",
                        "small.es.gift:6: question ::S-02:: is not in small.en.gift"]


def test_content_sync_loads_banks_and_skips_broken_files(app, quizzes_dir, tmp_path, monkeypatch):
    (tmp_path / "modules").mkdir()
    monkeypatch.setitem(app.config, "CONTENT_PATH", str(tmp_path / "modules"))  # no course packs
    (quizzes_dir / "small.es.gift").write_text(SMALL, encoding="utf-8")
    (quizzes_dir / "broken.es.gift").write_text("::X::Oops{=a\n", encoding="utf-8")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["content", "sync"])
    assert first.exit_code == 1, first.output
    assert "created   bank small.es" in first.output
    assert f"{quizzes_dir / 'broken.es.gift'}:1: '{{' is never closed by '}}'" in first.output
    assert _bank("broken") is None
    (quizzes_dir / "broken.es.gift").unlink()
    second = runner.invoke(args=["content", "sync"])
    assert second.exit_code == 0, second.output
    assert "unchanged bank small.es" in second.output


def test_the_seed_banks_validate_and_sync(app, quizzes_dir):
    for path in SEED.glob("*.gift"):
        shutil.copy(path, quizzes_dir / path.name)
    files, problems = validate_banks(quizzes_dir)
    assert problems == [] and len(files) == 4
    for bank_file in files:
        sync_bank(bank_file)
    counts = dict(db.session.execute(
        sa.select(QuestionBank.slug + "." + QuestionBank.language, sa.func.count(Question.id))
        .join(Question).group_by(QuestionBank.id)).all())
    assert counts == {"pm-plus-knowledge.es": 24, "pm-plus-knowledge.en": 24,
                      "pfa-knowledge.es": 16, "pfa-knowledge.en": 16}
    assert _bank("pfa-knowledge", "en").title.startswith("Psychological First Aid")
