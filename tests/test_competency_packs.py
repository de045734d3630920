"""Tool packs: the loader names the file, line and key of each problem; import for one organisation only."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from app.competencies.models import CompetencyTool
from app.competencies.packs import discover_tools, load_tool
from app.core.audit import AuditEvent
from tests.rating_support import PMP

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_packs_load_without_problems():
    files = discover_tools(ROOT / "competencies")
    assert {f.stem for f in files} >= {"foundational-helping-skills", "pm-plus-strategy-skills", "pfa-action-skills"}
    for file in files:
        pack, problems = load_tool(file)
        assert pack is not None and problems == [], [str(p) for p in problems]
        assert len(pack.scenarios) >= 3 and pack.licence and pack.attribution


def broken(tmp_path: Path, text: str, name: str = "pm-plus-strategy-skills.toml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    pack, problems = load_tool(path)
    assert pack is None
    return [str(p) for p in problems]


def test_errors_name_the_file_the_line_and_the_key(tmp_path):
    text = PMP.read_text(encoding="utf-8")
    text = text.replace('group = "harmful"', 'group = "dangerous"', 1)
    lines = text.splitlines()
    bad_line = next(n for n, line in enumerate(lines, 1) if 'group = "dangerous"' in line)
    problems = broken(tmp_path, text)
    assert problems == [f"{tmp_path / 'pm-plus-strategy-skills.toml'}:{bad_line}: "
                        "items[1] (PMP-01).behaviours[1].group: must be harmful, basic or advanced"]


def test_missing_translation_unknown_item_and_too_few_scenarios(tmp_path):
    text = PMP.read_text(encoding="utf-8")
    first_en = text.index('\nen = ', text.index("[[items]]"))
    text = text[:first_en] + "\n" + text[text.index("\n", first_en + 1):]  # drop the first item's English title
    text = text.replace('elicits = ["PMP-', 'elicits = ["PMP-99", "PMP-', 1)
    head, *scenarios = text.split("[[scenarios]]")
    problems = "\n".join(broken(tmp_path, head + "[[scenarios]]" + "[[scenarios]]".join(scenarios[:2])))
    assert "items[1] (PMP-01).title: missing translation for 'en'" in problems
    assert "elicits: unknown item 'PMP-99'" in problems
    assert "scenarios: a tool needs at least 3 [[scenarios]]" in problems


def test_the_slug_must_match_the_file_name(tmp_path):
    problems = broken(tmp_path, PMP.read_text(encoding="utf-8"), name="other-name.toml")
    assert any("slug: 'pm-plus-strategy-skills' does not match the file name 'other-name.toml'" in p for p in problems)


def test_content_validate_checks_the_tools_too(app):
    result = app.test_cli_runner().invoke(args=["content", "validate"])
    assert "3 competency tool(s) checked: 0 error(s), 0 warning(s)." in result.output


def test_import_an_official_pack_for_one_organisation(app, org, make_org, db_session, tmp_path):
    official = tmp_path / "equip-official.toml"
    official.write_text(PMP.read_text(encoding="utf-8").replace(
        'slug = "pm-plus-strategy-skills"', 'slug = "equip-official"').replace(
        'licence = "', 'licence = "CC BY-NC-SA 3.0 IGO; was: ', 1), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["competencies", "import", str(official), "--organisation", org.slug])
    assert result.exit_code == 0, result.output
    tool = db_session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == "equip-official"))
    assert tool.organisation_id == org.id and tool.licence.startswith("CC BY-NC-SA 3.0 IGO")
    assert db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "competency_tool.imported"))
    from app.competencies.services import tools_for

    assert tool in tools_for(org.id) and tool not in tools_for(make_org().id)
    other = make_org()
    refused = runner.invoke(args=["competencies", "import", str(official), "--organisation", other.slug])
    assert refused.exit_code == 1 and "already used by another organisation" in refused.output
    unknown = runner.invoke(args=["competencies", "import", str(official), "--organisation", "nope"])
    assert unknown.exit_code == 1
