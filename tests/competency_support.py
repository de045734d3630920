"""Competency rows for tests, built directly: a tool loaded from competencies/*.toml, and assessments
whose levels come from derive_level of the ticks, as the rating flow stores them."""
from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import pytest

PACKS = Path(__file__).resolve().parent.parent / "competencies"
FHS = "foundational-helping-skills"


@lru_cache(maxsize=4)
def _pack(slug: str) -> dict:
    with (PACKS / f"{slug}.toml").open("rb") as handle:
        return tomllib.load(handle)


def load_tool(slug: str = FHS, organisation_id: int | None = None, items: int | None = None):
    """The tool of a pack as database rows (all its items, or the first `items`)."""
    from app.competencies.models import Behaviour, BehaviourGroup, CompetencyItem, CompetencyTool, Scenario
    from app.extensions import db

    pack = _pack(slug)
    tool = CompetencyTool(slug=slug if organisation_id is None else f"{slug}-{organisation_id}",
                          organisation_id=organisation_id, version=pack["version"], languages=pack["languages"],
                          name=pack["name"], description=pack["description"], licence=pack["licence"],
                          attribution={lang: pack["attribution"] for lang in pack["languages"]})
    for position, data in enumerate(pack["items"][:items]):
        item = CompetencyItem(code=data["code"], position=position, title=data["title"],
                              description=data["description"])
        item.behaviours = [Behaviour(code=b["code"], group=BehaviourGroup(b["group"]), position=i,
                                     text={"es": b["es"], "en": b["en"]}) for i, b in enumerate(data["behaviours"])]
        tool.items.append(item)
    for position, data in enumerate(pack["scenarios"]):
        tool.scenarios.append(Scenario(slug=data["slug"], position=position, title=data["title"],
                                       background=data["background"], actor_instructions=data["actor_instructions"],
                                       elicits=data["elicits"]))
    db.session.add(tool)
    db.session.flush()
    return tool


def ticks_for(item, level: int | None) -> list[str]:
    """Behaviour codes that give this level: 1 one harmful; 2 the first basic; 3 all basic; 4 all basic + one advanced."""
    groups: dict[str, list[str]] = {"harmful": [], "basic": [], "advanced": []}
    for behaviour in item.behaviours:
        groups[behaviour.group.value].append(behaviour.code)
    return {None: [], 1: groups["harmful"][:1] + groups["basic"], 2: groups["basic"][:1], 3: groups["basic"],
            4: groups["basic"] + groups["advanced"][:1]}[level]


def level_of(item, codes: list[str], not_observed: bool = False) -> int | None:
    from app.competencies.levels import derive_level

    seen = set(codes)
    count = {"harmful": 0, "basic": 0, "advanced": 0}
    basic_total = 0
    for behaviour in item.behaviours:
        basic_total += behaviour.group.value == "basic"
        count[behaviour.group.value] += behaviour.code in seen
    return derive_level(count["harmful"], count["basic"], basic_total, count["advanced"], not_observed)


_clock = [datetime(2026, 10, 1, 15, 0, tzinfo=timezone.utc)]


def make_assessment(trainee, tool, *, assessor=None, cohort=None, stage: str = "pre", levels: dict | None = None,
                    ticks: dict | None = None, notes: dict | None = None, status: str = "submitted",
                    rating_session=None, method: str = "role_play", observed_on: date | None = None,
                    flag: bool = True):
    """An assessment with one rating per item named in `levels` (a level or None for not observed) or `ticks`.

    Level-1 items of a submitted assessment open a harm flag, as submitting does.
    """
    from app.competencies.models import Assessment, HarmFlag, ItemRating
    from app.extensions import db

    _clock[0] += timedelta(minutes=1)
    by_code = {item.code: item for item in tool.items}
    organisation_id = (trainee or assessor).organisation_id
    assessment = Assessment(organisation_id=organisation_id, trainee_id=trainee.id if trainee else None,
                            assessor_id=assessor.id if assessor else None, tool_id=tool.id, tool_version=tool.version,
                            cohort_id=cohort.id if cohort else None, stage=stage, method=method, status=status,
                            rating_session_id=rating_session.id if rating_session else None,
                            observed_on=observed_on or _clock[0].date(), started_at=_clock[0], saved_at=_clock[0],
                            submitted_at=_clock[0] if status == "submitted" else None)
    wanted = {code: ticks_for(by_code[code], level) if level is not None else None
              for code, level in (levels or {}).items()}
    wanted.update(ticks or {})
    for code, codes in wanted.items():
        item = by_code[code]
        not_observed = codes is None
        codes = codes or []
        assessment.ratings.append(ItemRating(item_id=item.id, behaviour_codes=codes, not_observed=not_observed,
                                             level=level_of(item, codes, not_observed),
                                             note=(notes or {}).get(code)))
    assessment.has_harm = any(r.level == 1 for r in assessment.ratings)
    db.session.add(assessment)
    db.session.flush()
    if flag and status == "submitted" and trainee is not None:
        for rating in assessment.ratings:
            if rating.level == 1:
                harmful = [b.code for b in by_code_item(tool, rating.item_id).behaviours if b.group.value == "harmful"]
                db.session.add(HarmFlag(organisation_id=trainee.organisation_id, trainee_id=trainee.id,
                                        item_id=rating.item_id, raised_by_id=assessment.id,
                                        behaviour_codes=[c for c in rating.behaviour_codes if c in harmful]))
        db.session.flush()
    return assessment


def by_code_item(tool, item_id: int):
    return next(item for item in tool.items if item.id == item_id)


def make_rating_session(tool, raters_levels: dict, *, cohort=None, trainee=None, reference=None, title="Calibration"):
    """A calibration session: each rater (User) -> {item code: level or None}; one submitted assessment each."""
    from app.competencies.models import RatingSession
    from app.extensions import db

    some_rater = next(iter(raters_levels))
    session = RatingSession(organisation_id=some_rater.organisation_id, tool_id=tool.id, title=title,
                            cohort_id=cohort.id if cohort else None, trainee_id=trainee.id if trainee else None,
                            reference_rater_id=reference.id if reference else None)
    db.session.add(session)
    db.session.flush()
    for rater, levels in raters_levels.items():
        make_assessment(trainee, tool, assessor=rater, cohort=cohort, stage="pre", levels=levels,
                        rating_session=session, flag=False)
    return session


@pytest.fixture
def fhs_tool(db_session):
    return load_tool()
