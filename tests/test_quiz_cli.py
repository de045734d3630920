"""flask quizzes import|export: --dry-run, --json, malformed files (exit code, line, nothing imported)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.quizzes.banks import create_bank, find_bank
from app.quizzes.models import Question, QuestionBank

GIFT = """$CATEGORY: cli/one

::C-01::Is PM+ five sessions?{T#It is five.#Yes.}

::C-02::Pick{=a#yes ~b#no}

::C-03::How many?{#=5:0#Five}
"""


@pytest.fixture
def gift_file(tmp_path):
    path = tmp_path / "bank.gift"
    path.write_text(GIFT, encoding="utf-8")
    return path


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["quizzes", *map(str, args)])


def _count(slug: str = "cli-bank") -> int:
    return db.session.scalar(sa.select(sa.func.count(Question.id)).join(QuestionBank)
                             .where(QuestionBank.slug == slug)) or 0


def test_import_creates_the_bank_for_the_organisation(app, gift_file, org):
    result = _run(app, "import", gift_file, "--bank", "cli-bank", "--organisation", org.slug)
    assert result.exit_code == 0, result.output
    assert "imported 3 question(s) into cli-bank.es: 1 multichoice, 1 truefalse, 1 numerical" in result.output
    bank = find_bank("cli-bank", "es")
    assert bank.organisation_id == org.id and _count() == 3


def test_json_prints_exactly_the_summary(app, gift_file, org):
    result = _run(app, "import", gift_file, "--bank", "cli-bank", "--organisation", org.slug, "--json",
                  "--language", "en")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"questions": 3, "by_type": {"multichoice": 1, "truefalse": 1,
                                                                     "numerical": 1}, "errors": []}
    assert find_bank("cli-bank", "en") is not None


def test_dry_run_imports_nothing(app, gift_file, org):
    result = _run(app, "import", gift_file, "--bank", "cli-bank", "--organisation", org.slug, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["questions"] == 3
    assert find_bank("cli-bank", "es") is None and _count() == 0


def test_malformed_file_names_the_line_exits_1_and_imports_nothing(app, tmp_path, org):
    path = tmp_path / "bad.gift"
    path.write_text(GIFT.replace("{=a#yes ~b#no}", "{=a#yes ~%x%b#no}") + "\n::C-04::Open{=a\n", encoding="utf-8")
    result = _run(app, "import", path, "--bank", "cli-bank", "--organisation", org.slug)
    assert result.exit_code == 1
    assert f"{path}:5: bad weight '%x%'" in result.output
    assert f"{path}:9: '{{' is never closed by '}}'" in result.output
    assert "nothing imported: 2 error(s)" in result.output
    as_json = _run(app, "import", path, "--bank", "cli-bank", "--organisation", org.slug, "--json")
    assert as_json.exit_code == 1
    report = json.loads(as_json.output)
    assert report["questions"] == 0 and report["by_type"] == {}
    assert [e["line"] for e in report["errors"]] == [5, 9]
    assert find_bank("cli-bank", "es") is None and _count() == 0


def test_import_into_an_existing_web_bank_and_refusals(app, gift_file, org, make_org):
    create_bank(org.id, "cli-bank", "es", "CLI", None)
    assert _run(app, "import", gift_file, "--bank", "cli-bank").exit_code == 0
    assert _count() == 3
    other = make_org()
    refused = _run(app, "import", gift_file, "--bank", "cli-bank", "--organisation", other.slug, "--json")
    assert refused.exit_code == 1
    assert "belongs to another organisation" in json.loads(refused.output)["errors"][0]["message"]
    missing = _run(app, "import", gift_file, "--bank", "nope")
    assert missing.exit_code == 1 and "give --organisation to create it" in missing.output


def test_pack_banks_are_not_imported_into(app, gift_file):
    db.session.add(QuestionBank(slug="packed", language="es", title="Pack", source="pack"))
    db.session.flush()
    result = _run(app, "import", gift_file, "--bank", "packed")
    assert result.exit_code == 1 and "edit the file and run flask content sync" in result.output


def test_export_writes_the_bank(app, gift_file, org, tmp_path):
    _run(app, "import", gift_file, "--bank", "cli-bank", "--organisation", org.slug)
    out = tmp_path / "out.gift"
    result = _run(app, "export", "cli-bank", "--out", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("// title: cli-bank\n") and "$CATEGORY: cli/one" in text and "::C-03::" in text
    screen = _run(app, "export", "cli-bank")
    assert screen.output == text
    assert _run(app, "export", "cli-bank", "--language", "en").exit_code == 1
