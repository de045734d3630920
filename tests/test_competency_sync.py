"""Sync: idempotent by slug and code; what leaves a pack is hidden, ratings keep pointing at it."""
from __future__ import annotations

import sqlalchemy as sa

from app.competencies.models import Behaviour, CompetencyItem, CompetencyTool, ItemRating, Scenario
from app.competencies.packs import load_tool
from app.competencies.sync import ToolConflictError, ToolSyncAction, sync_tool
from tests.rating_support import PMP


def _pack(tmp_path, text):
    path = tmp_path / "pm-plus-strategy-skills.toml"
    path.write_text(text, encoding="utf-8")
    pack, problems = load_tool(path)
    assert pack is not None, [str(p) for p in problems]
    return pack


def counts(db_session):
    return tuple(db_session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (CompetencyTool, CompetencyItem, Behaviour, Scenario))


def test_sync_is_idempotent(db_session):
    pack, _ = load_tool(PMP)
    assert sync_tool(pack).action is ToolSyncAction.CREATED
    first = counts(db_session)
    assert first == (1, 7, 59, 5)
    assert sync_tool(pack).action is ToolSyncAction.UNCHANGED
    assert counts(db_session) == first


def test_removed_rows_are_hidden_not_deleted_and_come_back(db_session, tmp_path, make_user):
    text = PMP.read_text(encoding="utf-8")
    sync_tool(_pack(tmp_path, text))
    tool = db_session.scalar(sa.select(CompetencyTool))
    last_item = tool.items[-1]
    from app.competencies.models import Assessment

    trainee = make_user("trainee")
    assessment = Assessment(organisation_id=trainee.organisation_id, trainee_id=trainee.id, tool_id=tool.id,
                            tool_version=tool.version, stage="pre", method="role_play")
    assessment.ratings.append(ItemRating(item_id=last_item.id, behaviour_codes=[], level=2))
    db_session.add(assessment)
    db_session.flush()

    cut_item = text[:text.rindex("[[items]]")] + text[text.index("[[scenarios]]"):]
    without_last_scenario = cut_item[:cut_item.rindex("[[scenarios]]")]
    result = sync_tool(_pack(tmp_path, without_last_scenario.replace("version = \"1.0.0\"", "version = \"1.1.0\"")))
    assert result.action is ToolSyncAction.UPDATED and result.hidden == 2  # the item and the scenario
    db_session.expire_all()
    assert counts(db_session) == (1, 7, 59, 5)  # nothing deleted
    assert db_session.get(CompetencyItem, last_item.id).is_hidden
    assert db_session.scalar(sa.select(ItemRating)).item_id == last_item.id
    assert sum(s.is_hidden for s in db_session.scalars(sa.select(Scenario))) == 1
    assert db_session.get(CompetencyTool, tool.id).version == "1.1.0"

    sync_tool(_pack(tmp_path, text))
    db_session.expire_all()
    assert not db_session.get(CompetencyItem, last_item.id).is_hidden
    assert not any(s.is_hidden for s in db_session.scalars(sa.select(Scenario)))


def test_an_organisations_pack_cannot_take_a_shared_slug(db_session, org):
    pack, _ = load_tool(PMP)
    sync_tool(pack)
    try:
        sync_tool(pack, organisation_id=org.id)
    except ToolConflictError as error:
        assert "shared tools" in str(error)
    else:
        raise AssertionError("expected a conflict")


def test_content_sync_loads_the_tools(app, db_session):
    result = app.test_cli_runner().invoke(args=["content", "sync"])
    assert "created   tool foundational-helping-skills 1.0.0" in result.output, result.output[-2000:]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CompetencyTool)) == 3
