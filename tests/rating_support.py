"""Fixtures for the rating tests: the PM+ strategy tool synced from its pack, and a supervised trainee."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PMP = ROOT / "competencies" / "pm-plus-strategy-skills.toml"


@pytest.fixture
def pmp_tool(db_session):
    import sqlalchemy as sa

    from app.competencies.models import CompetencyTool
    from app.competencies.packs import load_tool
    from app.competencies.sync import sync_tool

    pack, problems = load_tool(PMP)
    assert pack is not None, problems
    sync_tool(pack)
    return db_session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == pack.slug))


@pytest.fixture
def team(make_user, make_cohort, assign_supervisor):
    """A trainee with a supervisor and a cohort trainer (with email), and a supervisor of someone else."""
    trainee = make_user("trainee", full_name="Rosa Vázquez")
    supervisor = make_user("supervisor", full_name="Julio Pérez")
    trainer = make_user("trainer", full_name="Carmen Gutiérrez", email="carmen@example.org")
    other_supervisor = make_user("supervisor", full_name="Otro Supervisor")
    cohort = make_cohort(members={"trainee": [trainee], "trainer": [trainer], "supervisor": [supervisor]})
    assign_supervisor(supervisor, trainee, cohort)
    return {"trainee": trainee, "supervisor": supervisor, "trainer": trainer, "other_supervisor": other_supervisor,
            "cohort": cohort}


def item_fields(tool, levels: dict) -> dict:
    """Form data rating each item: a level (1–4), "none" (none seen), "na" (not observed); items left out stay unrated."""
    data: dict = {}
    for item in tool.items:
        wanted = levels.get(item.code)
        if wanted is None:
            continue
        groups = {"harmful": [], "basic": [], "advanced": []}
        for b in item.behaviours:
            groups[b.group.value].append(b.code)
        if wanted == "na":
            data[f"i{item.id}_na"] = "y"
        elif wanted == "none":
            data[f"i{item.id}_none"] = "y"
        else:
            data[f"i{item.id}_b"] = {1: groups["harmful"][:1] + groups["basic"], 2: groups["basic"][:1],
                                     3: groups["basic"], 4: groups["basic"] + groups["advanced"][:1]}[wanted]
    return data


def all_items(tool, level=3, **overrides) -> dict:
    return {item.code: overrides.get(item.code.replace("-", "_"), level) for item in tool.items}
