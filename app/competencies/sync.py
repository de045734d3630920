"""Upsert competency tool packs into the database by slug and code. Idempotent; never deletes.

Items and behaviours are kept by code, scenarios by slug. When one leaves the pack it is
hidden, not deleted, so ratings made with it keep pointing at it; it comes back if it returns.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from app.competencies.models import Behaviour, CompetencyItem, CompetencyTool, Scenario
from app.competencies.packs import ToolPack
from app.extensions import db


class ToolSyncAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class ToolConflictError(Exception):
    """Another owner (the shared packs, or another organisation) already uses this slug."""


@dataclass(frozen=True)
class ToolSyncResult:
    slug: str
    version: str
    action: ToolSyncAction
    hidden: int = 0

    def __str__(self) -> str:
        line = f"{self.action.value:9} tool {self.slug} {self.version}"
        return f"{line} ({self.hidden} hidden)" if self.hidden else line


def _assign(obj: Any, **values: Any) -> bool:
    """Set only the attributes that differ, so an unchanged row is never written."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def sync_tool(pack: ToolPack, organisation_id: int | None = None) -> ToolSyncResult:
    """Create or update the tool of one pack (shared when organisation_id is None). Flushes; the caller commits."""
    tool = db.session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == pack.slug))
    if tool is not None and tool.organisation_id != organisation_id:
        owner = "the shared tools" if tool.organisation_id is None else "another organisation"
        raise ToolConflictError(f"the slug '{pack.slug}' is already used by {owner}")
    if tool is not None and tool.content_hash == pack.content_hash:
        return ToolSyncResult(pack.slug, pack.version, ToolSyncAction.UNCHANGED)
    action = ToolSyncAction.UPDATED
    if tool is None:
        tool = CompetencyTool(slug=pack.slug, organisation_id=organisation_id)
        db.session.add(tool)
        action = ToolSyncAction.CREATED
    _assign(tool, version=pack.version, languages=pack.languages, name=pack.name, description=pack.description,
            licence=pack.licence, attribution=pack.attribution, content_hash=pack.content_hash, archived_at=None)
    hidden = _sync_items(tool, pack) + _sync_scenarios(tool, pack)
    db.session.flush()
    return ToolSyncResult(pack.slug, pack.version, action, hidden)


def _sync_items(tool: CompetencyTool, pack: ToolPack) -> int:
    by_code = {item.code: item for item in tool.items}
    hidden = 0
    for position, entry in enumerate(pack.items):
        item = by_code.pop(entry.code, None)
        if item is None:
            item = CompetencyItem(code=entry.code)
            tool.items.append(item)
        _assign(item, position=position, title=entry.title, description=entry.description, is_hidden=False)
        behaviours = {b.code: b for b in item.behaviours}
        for b_position, b_entry in enumerate(entry.behaviours):
            behaviour = behaviours.pop(b_entry.code, None)
            if behaviour is None:
                behaviour = Behaviour(code=b_entry.code)
                item.behaviours.append(behaviour)
            _assign(behaviour, group=b_entry.group, position=b_position, text=b_entry.text, is_hidden=False)
        for gone in behaviours.values():
            hidden += _assign(gone, is_hidden=True)
    for gone in by_code.values():
        hidden += _assign(gone, is_hidden=True)
    return hidden


def _sync_scenarios(tool: CompetencyTool, pack: ToolPack) -> int:
    by_slug = {scenario.slug: scenario for scenario in tool.scenarios}
    hidden = 0
    for position, entry in enumerate(pack.scenarios):
        scenario = by_slug.pop(entry.slug, None)
        if scenario is None:
            scenario = Scenario(slug=entry.slug)
            tool.scenarios.append(scenario)
        _assign(scenario, position=position, title=entry.title, background=entry.background,
                actor_instructions=entry.actor_instructions, elicits=entry.elicits, is_hidden=False)
    for gone in by_slug.values():
        hidden += _assign(gone, is_hidden=True)
    return hidden
