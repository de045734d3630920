"""A trainee's skills feedback: per tool and round, what they did well and what is missing for the next level.

The "what is missing" rule follows the level rule (app/competencies/levels.py):

* level 1 — the harmful behaviours that were seen: stop them (then the basic ones still missing);
* level 2 — the basic behaviours not seen: all of them give level 3;
* level 3 — the advanced behaviours: any one of them gives level 4;
* level 4 — nothing is missing.

Hidden behaviours (removed from the pack) are never asked for, but are still shown when ticked.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.competencies.levels import ADVANCED, ALL_BASIC, HARMFUL, SOME_BASIC
from app.competencies.models import (
    Assessment,
    AssessmentMethod,
    AssessmentStage,
    Behaviour,
    BehaviourGroup,
    CompetencyItem,
    CompetencyTool,
    ItemRating,
)
from app.competencies.queries import counted
from app.core.i18n import _l
from app.extensions import db

STAGE_LABELS = {
    AssessmentStage.PRE: _l("Before training"),
    AssessmentStage.MID: _l("During training"),
    AssessmentStage.POST: _l("After training"),
    AssessmentStage.SUPERVISION: _l("In supervision"),
    AssessmentStage.RECERTIFICATION: _l("Recertification"),
}
METHOD_LABELS = {
    AssessmentMethod.ROLE_PLAY: _l("Role play"),
    AssessmentMethod.LIVE: _l("Live session"),
    AssessmentMethod.RECORDING: _l("Recording"),
}


@dataclass
class ItemFeedback:
    item: CompetencyItem
    rating: ItemRating
    seen: list[Behaviour] = field(default_factory=list)
    to_stop: list[Behaviour] = field(default_factory=list)        # harmful behaviours seen
    missing_basic: list[Behaviour] = field(default_factory=list)  # basic behaviours not seen
    advanced_options: list[Behaviour] = field(default_factory=list)  # level 3: any one gives level 4

    @property
    def level(self) -> int | None:
        return self.rating.level

    @property
    def next_level(self) -> int | None:
        return {HARMFUL: ALL_BASIC, SOME_BASIC: ALL_BASIC, ALL_BASIC: ADVANCED}.get(self.level)


@dataclass
class RoundFeedback:
    assessment: Assessment
    items: list[ItemFeedback]

    @property
    def strengths(self) -> list[ItemFeedback]:
        return [i for i in self.items if i.level in (ALL_BASIC, ADVANCED)]

    @property
    def to_work_on(self) -> list[ItemFeedback]:
        """Harmful first, then the items short of level 3."""
        return sorted((i for i in self.items if i.level in (HARMFUL, SOME_BASIC)), key=lambda i: i.level)

    @property
    def not_observed(self) -> list[ItemFeedback]:
        return [i for i in self.items if i.level is None]

    @property
    def mean_level(self) -> float | None:
        levels = [i.level for i in self.items if i.level is not None]
        return fmean(levels) if levels else None


@dataclass
class ToolFeedback:
    tool: CompetencyTool
    rounds: list[RoundFeedback]  # oldest first

    def item_trend(self) -> list[tuple[CompetencyItem, list[int | None]]]:
        """Each item's level in each round (None: not observed or not rated), in the tool's order."""
        items: dict[int, CompetencyItem] = {}
        for round_ in self.rounds:
            for entry in round_.items:
                items.setdefault(entry.item.id, entry.item)
        levels = [{entry.item.id: entry.level for entry in round_.items} for round_ in self.rounds]
        ordered = sorted(items.values(), key=lambda item: (item.position, item.id))
        return [(item, [by_item.get(item.id) for by_item in levels]) for item in ordered]


def explain(item: CompetencyItem, rating: ItemRating) -> ItemFeedback:
    """What was seen and what is missing for the next level, for one rated item."""
    ticked = set(rating.behaviour_codes or [])
    feedback = ItemFeedback(item=item, rating=rating, seen=[b for b in item.behaviours if b.code in ticked])
    if rating.level is None:
        return feedback
    wanted = [b for b in item.behaviours if not b.is_hidden]
    if rating.level == HARMFUL:
        feedback.to_stop = [b for b in feedback.seen if b.group == BehaviourGroup.HARMFUL]
    if rating.level in (HARMFUL, SOME_BASIC):
        feedback.missing_basic = [b for b in wanted if b.group == BehaviourGroup.BASIC and b.code not in ticked]
    if rating.level == ALL_BASIC:
        feedback.advanced_options = [b for b in wanted if b.group == BehaviourGroup.ADVANCED]
    return feedback


def trainee_feedback(trainee: User) -> list[ToolFeedback]:
    """Every tool the trainee was rated on, with each counted assessment as a round, oldest first."""
    assessments = db.session.scalars(
        sa.select(Assessment).where(Assessment.trainee_id == trainee.id,
                                    Assessment.organisation_id == trainee.organisation_id, *counted())
        .options(selectinload(Assessment.ratings), joinedload(Assessment.assessor))
        .order_by(Assessment.observed_on, Assessment.submitted_at, Assessment.id)).all()
    if not assessments:
        return []
    tools = {tool.id: tool for tool in db.session.scalars(
        sa.select(CompetencyTool).where(CompetencyTool.id.in_({a.tool_id for a in assessments}))
        .options(selectinload(CompetencyTool.items).selectinload(CompetencyItem.behaviours)))}
    result: dict[int, ToolFeedback] = {}
    for assessment in assessments:
        tool = tools[assessment.tool_id]
        items = {item.id: item for item in tool.items}
        entries = [explain(items[r.item_id], r) for r in assessment.ratings if r.item_id in items]
        entries.sort(key=lambda entry: (entry.item.position, entry.item.id))
        result.setdefault(tool.id, ToolFeedback(tool, [])).rounds.append(RoundFeedback(assessment, entries))
    return sorted(result.values(), key=lambda t: t.tool.slug)
