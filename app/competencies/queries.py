"""Reading competency ratings for reports: the heat map, group progress, and the supervisor's home.

Which assessments count, everywhere: submitted, not superseded by an amendment, and — when it
belongs to a calibration session — only the reference rater's (the other raters rated the same
performance to calibrate themselves, not the trainee). "The" assessment of a trainee for a round
is the latest that counts. Every report reads a fixed number of statements, whatever the
number of trainees: ranked subqueries and GROUP BY, never a query per row.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.competencies.agreement import Unit
from app.competencies.models import (
    Assessment,
    AssessmentStage,
    AssessmentStatus,
    CompetencyItem,
    CompetencyTool,
    HarmFlag,
    HarmFlagStatus,
    ItemRating,
    RatingSession,
)
from app.core.permissions import sees_every_cohort_trainee
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, SupervisorAssignment

STAGE_ORDER = list(AssessmentStage)


def counted() -> list[sa.ColumnElement[bool]]:
    """The conditions an assessment meets to count in feedback and reports (see the module doc)."""
    reference = (sa.select(RatingSession.reference_rater_id)
                 .where(RatingSession.id == Assessment.rating_session_id).scalar_subquery())
    return [Assessment.status == AssessmentStatus.SUBMITTED, Assessment.superseded_at.is_(None),
            sa.or_(Assessment.rating_session_id.is_(None), Assessment.assessor_id == reference)]


def trainee_scope(user: User, cohort: Cohort) -> sa.Select:
    """Ids of the cohort's trainees this user may see: all for its trainers and admins, else their supervisees."""
    scope = sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id,
                                                  CohortMember.role == CohortRole.TRAINEE)
    if not sees_every_cohort_trainee(user, cohort):
        scope = scope.where(CohortMember.user_id.in_(
            sa.select(SupervisorAssignment.trainee_id).where(
                SupervisorAssignment.supervisor_id == user.id, SupervisorAssignment.ended_at.is_(None),
                SupervisorAssignment.organisation_id == cohort.organisation_id)))
    return scope


def tools_for(organisation_id: int) -> list[CompetencyTool]:
    """The shared tools and the organisation's own, not archived."""
    return list(db.session.scalars(
        sa.select(CompetencyTool).where(CompetencyTool.organisation_id.is_(None)
                                        | (CompetencyTool.organisation_id == organisation_id),
                                        CompetencyTool.archived_at.is_(None))
        .order_by(CompetencyTool.slug)))


def visible_items(tool: CompetencyTool) -> list[CompetencyItem]:
    return list(db.session.scalars(
        sa.select(CompetencyItem).where(CompetencyItem.tool_id == tool.id, CompetencyItem.is_hidden.is_(False))
        .order_by(CompetencyItem.position, CompetencyItem.id)))


def default_tool_and_stage(cohort: Cohort, tools: list[CompetencyTool]) -> tuple[CompetencyTool | None, str]:
    """The tool and round of the cohort's most recent counted assessment; else the first tool, pre-training."""
    row = db.session.execute(
        sa.select(Assessment.tool_id, Assessment.stage).where(Assessment.cohort_id == cohort.id, *counted())
        .order_by(Assessment.submitted_at.desc(), Assessment.id.desc()).limit(1)).first()
    by_id = {tool.id: tool for tool in tools}
    if row is not None and row.tool_id in by_id:
        return by_id[row.tool_id], AssessmentStage(row.stage).value
    return (tools[0] if tools else None), AssessmentStage.PRE.value


def ranked(cohort_id: int, tool_id: int, scope: sa.Select, stages: list[str] | None = None) -> sa.Subquery:
    """Counted assessments of the cohort and tool, ranked 1 = latest per trainee and round."""
    rank = sa.func.row_number().over(partition_by=(Assessment.trainee_id, Assessment.stage),
                                     order_by=(Assessment.submitted_at.desc(), Assessment.id.desc()))
    query = sa.select(Assessment.id, Assessment.trainee_id, Assessment.stage, rank.label("rank")).where(
        Assessment.cohort_id == cohort_id, Assessment.tool_id == tool_id, Assessment.trainee_id.in_(scope), *counted())
    if stages:
        query = query.where(Assessment.stage.in_(stages))
    return query.subquery("ranked")


# -- heat map --------------------------------------------------------------------------------

@dataclass
class HeatCell:
    rating: ItemRating | None
    flagged: bool = False  # an open harm flag on this trainee and item, whatever this round showed

    @property
    def level(self) -> int | None:
        return self.rating.level if self.rating else None

    @property
    def not_observed(self) -> bool:
        return bool(self.rating and self.rating.not_observed)


@dataclass
class HeatRow:
    trainee: User
    assessment: Assessment | None
    cells: list[HeatCell]


@dataclass
class HeatMap:
    items: list[CompetencyItem]
    rows: list[HeatRow]

    @property
    def assessed(self) -> int:
        return sum(1 for row in self.rows if row.assessment is not None)


def heat_map(cohort: Cohort, tool: CompetencyTool, stage: str, scope: sa.Select) -> HeatMap:
    """Trainees × items for one round: five statements, whatever the number of trainees."""
    trainees = list(db.session.scalars(sa.select(User).where(User.id.in_(scope)).order_by(User.full_name, User.id)))
    items = visible_items(tool)
    latest = ranked(cohort.id, tool.id, scope, [stage])
    assessments = db.session.scalars(
        sa.select(Assessment).join(latest, latest.c.id == Assessment.id).where(latest.c.rank == 1)
        .options(selectinload(Assessment.ratings))).all()
    flags = {tuple(row) for row in db.session.execute(
        sa.select(HarmFlag.trainee_id, HarmFlag.item_id).join(CompetencyItem, CompetencyItem.id == HarmFlag.item_id)
        .where(HarmFlag.status == HarmFlagStatus.OPEN, HarmFlag.trainee_id.in_(scope),
               CompetencyItem.tool_id == tool.id))}
    by_trainee = {a.trainee_id: a for a in assessments}
    rows = []
    for trainee in trainees:
        assessment = by_trainee.get(trainee.id)
        ratings = {r.item_id: r for r in assessment.ratings} if assessment else {}
        rows.append(HeatRow(trainee, assessment, [HeatCell(ratings.get(item.id), (trainee.id, item.id) in flags)
                                                  for item in items]))
    return HeatMap(items, rows)


# -- group progress --------------------------------------------------------------------------

@dataclass
class StageCounts:
    counts: dict[int | None, int] = field(default_factory=dict)  # level (None: not observed) -> trainees

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, level: int | None) -> float | None:
        return self.counts.get(level, 0) / self.total if self.total else None


@dataclass
class Progress:
    items: list[CompetencyItem]
    stages: list[str]                                   # rounds with data, in the course's order
    assessed: dict[str, int]                            # round -> trainees assessed
    cells: dict[tuple[int, str], StageCounts]           # (item id, round) -> counts

    def cell(self, item: CompetencyItem, stage: str) -> StageCounts:
        return self.cells.get((item.id, stage), StageCounts())


def group_progress(cohort: Cohort, tool: CompetencyTool, scope: sa.Select) -> Progress:
    """How many trainees reached each level per item and round (latest assessment per trainee and round)."""
    items = visible_items(tool)
    latest = ranked(cohort.id, tool.id, scope)
    rows = db.session.execute(
        sa.select(latest.c.stage, ItemRating.item_id, ItemRating.level, sa.func.count())
        .join(ItemRating, ItemRating.assessment_id == latest.c.id).where(latest.c.rank == 1)
        .group_by(latest.c.stage, ItemRating.item_id, ItemRating.level))
    cells: dict[tuple[int, str], StageCounts] = defaultdict(StageCounts)
    for stage, item_id, level, n in rows:
        cells[(item_id, AssessmentStage(stage).value)].counts[level] = n
    assessed = {AssessmentStage(stage).value: n for stage, n in db.session.execute(
        sa.select(latest.c.stage, sa.func.count()).where(latest.c.rank == 1).group_by(latest.c.stage))}
    stages = [s.value for s in STAGE_ORDER if s.value in assessed]
    return Progress(items, stages, assessed, dict(cells))


# -- the supervisor's home -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PersonRef:
    id: int
    full_name: str


@dataclass(frozen=True, slots=True)
class ItemRef:
    code: str
    title: dict[str, str]


@dataclass(frozen=True, slots=True)
class CohortRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class FlagSummary:
    """What the home page shows of an open harm flag: read as plain columns, no entities."""

    id: int
    trainee_id: int
    raised_at: datetime
    trainee: PersonRef
    item: ItemRef


@dataclass(frozen=True, slots=True)
class DraftSummary:
    id: int
    started_at: datetime
    trainee: PersonRef | None  # None: a calibration rating


@cache
def _open_flags_statement() -> sa.Select:
    """Built once: the home page runs it on every visit, and building a statement costs more than running it."""
    mine = sa.select(SupervisorAssignment.trainee_id).where(
        SupervisorAssignment.supervisor_id == sa.bindparam("supervisor_id"), SupervisorAssignment.ended_at.is_(None),
        SupervisorAssignment.organisation_id == sa.bindparam("organisation_id"))
    return (sa.select(HarmFlag.id, HarmFlag.trainee_id, HarmFlag.raised_at, User.full_name,
                      CompetencyItem.code, CompetencyItem.title)
            .join(User, User.id == HarmFlag.trainee_id).join(CompetencyItem, CompetencyItem.id == HarmFlag.item_id)
            .where(HarmFlag.status == HarmFlagStatus.OPEN, HarmFlag.organisation_id == sa.bindparam("organisation_id"),
                   HarmFlag.trainee_id.in_(mine))
            .order_by(HarmFlag.raised_at, HarmFlag.id))


def open_flags_of_supervisees(supervisor: User) -> list[FlagSummary]:
    """Open harm flags of the people this supervisor supervises, oldest first (they have waited longest)."""
    rows = db.session.execute(_open_flags_statement(), {"supervisor_id": supervisor.id,
                                                        "organisation_id": supervisor.organisation_id})
    return [FlagSummary(flag_id, trainee_id, raised_at, PersonRef(trainee_id, name), ItemRef(code, title))
            for flag_id, trainee_id, raised_at, name, code, title in rows]


@dataclass
class AssessmentsDue:
    drafts: list[DraftSummary]                    # this supervisor's unfinished ratings
    no_post: list[tuple[PersonRef, CohortRef]]    # supervisees in a cohort without a post-training assessment


@cache
def _assessments_due_statements() -> tuple[sa.Select, sa.Select]:
    drafts = (sa.select(Assessment.id, Assessment.started_at, User.id, User.full_name)
              .outerjoin(User, User.id == Assessment.trainee_id)
              .where(Assessment.assessor_id == sa.bindparam("supervisor_id"),
                     Assessment.status == AssessmentStatus.DRAFT,
                     Assessment.organisation_id == sa.bindparam("organisation_id"))
              .order_by(Assessment.started_at))
    has_post = sa.select(Assessment.id).where(
        Assessment.trainee_id == SupervisorAssignment.trainee_id, Assessment.cohort_id == SupervisorAssignment.cohort_id,
        Assessment.stage == AssessmentStage.POST, *counted()).exists()
    trainee_in_cohort = sa.select(CohortMember.id).where(
        CohortMember.cohort_id == SupervisorAssignment.cohort_id, CohortMember.user_id == SupervisorAssignment.trainee_id,
        CohortMember.role == CohortRole.TRAINEE).exists()
    no_post = (sa.select(User.id, User.full_name, Cohort.id, Cohort.name)
               .join(SupervisorAssignment, SupervisorAssignment.trainee_id == User.id)
               .join(Cohort, Cohort.id == SupervisorAssignment.cohort_id)
               .where(SupervisorAssignment.supervisor_id == sa.bindparam("supervisor_id"),
                      SupervisorAssignment.ended_at.is_(None),
                      Cohort.organisation_id == sa.bindparam("organisation_id"), trainee_in_cohort, ~has_post)
               .order_by(Cohort.name, User.full_name, User.id))
    return drafts, no_post


def assessments_due(supervisor: User) -> AssessmentsDue:
    drafts_statement, no_post_statement = _assessments_due_statements()
    params = {"supervisor_id": supervisor.id, "organisation_id": supervisor.organisation_id}
    drafts = [DraftSummary(a_id, started_at, PersonRef(t_id, name) if t_id is not None else None)
              for a_id, started_at, t_id, name in db.session.execute(drafts_statement, params)]
    no_post = [(PersonRef(t_id, name), CohortRef(c_id, c_name))
               for t_id, name, c_id, c_name in db.session.execute(no_post_statement, params)]
    return AssessmentsDue(drafts, list(dict.fromkeys(no_post)))


# -- calibration -----------------------------------------------------------------------------

@dataclass
class SessionRatings:
    """The submitted ratings of one calibration session, as units for app.competencies.agreement."""

    session: RatingSession
    raters: dict[int, User]
    units: list[Unit]


def session_ratings(sessions: list[RatingSession], items: dict[int, CompetencyItem]) -> list[SessionRatings]:
    """One statement for every session's ratings: each (session, item) becomes a unit, raters' levels in it."""
    if not sessions:
        return []
    assessments = db.session.scalars(
        sa.select(Assessment).where(Assessment.rating_session_id.in_([s.id for s in sessions]),
                                    Assessment.status == AssessmentStatus.SUBMITTED,
                                    Assessment.superseded_at.is_(None))
        .options(selectinload(Assessment.ratings), joinedload(Assessment.assessor))
        .order_by(Assessment.submitted_at, Assessment.id)).all()
    result = []
    for session in sessions:
        mine = [a for a in assessments if a.rating_session_id == session.id and a.assessor is not None]
        raters = {a.assessor_id: a.assessor for a in mine}  # a later submission by the same rater wins
        levels: dict[int, dict[int, int | None]] = defaultdict(dict)
        for a in mine:
            for rating in a.ratings:
                levels[rating.item_id][a.assessor_id] = rating.level
        units = [Unit(key=(session.id, item_id), item=item_id, levels=levels[item_id],
                      reference=session.reference_rater_id if session.reference_rater_id in raters else None)
                 for item_id in items if item_id in levels]
        result.append(SessionRatings(session, raters, units))
    return result


def latest_session_tool_id(cohort: Cohort) -> int | None:
    """The tool of the cohort's most recent rating session: what its calibration page shows first."""
    return db.session.scalar(
        sa.select(RatingSession.tool_id).where(RatingSession.cohort_id == cohort.id)
        .order_by(RatingSession.created_at.desc(), RatingSession.id.desc()).limit(1))


def cohort_sessions(cohort: Cohort, tool: CompetencyTool) -> list[RatingSession]:
    return list(db.session.scalars(
        sa.select(RatingSession).where(RatingSession.cohort_id == cohort.id, RatingSession.tool_id == tool.id)
        .options(joinedload(RatingSession.reference_rater))
        .order_by(RatingSession.created_at, RatingSession.id)))
