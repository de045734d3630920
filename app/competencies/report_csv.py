"""The cohort's ratings as CSV: one row per assessment × item, with the behaviours ticked (codes and texts).

The file format (byte-order mark, formulas neutralised) is app/core/csv_files. Reads four statements
whatever the size of the cohort.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.competencies.levels import LEVEL_NAMES
from app.competencies.models import Assessment, CompetencyItem, CompetencyTool
from app.competencies.queries import counted
from app.core import csv_files
from app.extensions import db
from app.orgs.models import Cohort

COLUMNS = ["trainee", "username", "stage", "method", "assessor", "observed_on", "submitted_at", "tool",
           "tool_version", "item_code", "item", "level", "level_name", "not_observed", "behaviour_codes",
           "behaviours", "note", "assessment_id", "amends_assessment_id"]


def rows(cohort: Cohort, tool: CompetencyTool, scope: sa.Select, language: str) -> Iterator[list[object]]:
    """The counted assessments of the cohort on this tool for the trainees in scope, oldest first."""
    items = {item.id: item for item in db.session.scalars(
        sa.select(CompetencyItem).where(CompetencyItem.tool_id == tool.id)
        .options(selectinload(CompetencyItem.behaviours)))}
    assessments = db.session.scalars(
        sa.select(Assessment).where(Assessment.cohort_id == cohort.id, Assessment.tool_id == tool.id,
                                    Assessment.trainee_id.in_(scope), *counted())
        .options(joinedload(Assessment.trainee), joinedload(Assessment.assessor), selectinload(Assessment.ratings))
        .order_by(Assessment.submitted_at, Assessment.id)).all()

    def text(values: dict[str, str]) -> str:
        return values.get(language) or next(iter(values.values()), "")

    for a in assessments:
        for rating in sorted(a.ratings, key=lambda r: (items[r.item_id].position, r.item_id)):
            item = items[rating.item_id]
            behaviours = {b.code: b for b in item.behaviours}
            ticked = [behaviours[code] for code in rating.behaviour_codes or [] if code in behaviours]
            yield [a.trainee.full_name, a.trainee.username, a.stage.value, a.method.value,
                   a.assessor.full_name if a.assessor else "", a.observed_on.isoformat() if a.observed_on else "",
                   a.submitted_at.isoformat(timespec="seconds") if a.submitted_at else "", tool.slug, a.tool_version,
                   item.code, text(item.title), rating.level if rating.level is not None else "",
                   LEVEL_NAMES[rating.level][language] if rating.level is not None else "",
                   "yes" if rating.not_observed else "no", " ".join(rating.behaviour_codes or []),
                   " | ".join(f"[{b.group.value}] {text(b.text)}" for b in ticked), rating.note or "",
                   a.id, a.amends_id or ""]


def to_csv(lines: Iterable[list[object]], header: list[str] = COLUMNS) -> str:
    """The whole file: the byte-order mark, the header, then each row with every cell neutralised."""
    return csv_files.to_csv(header, lines)
