"""Rating a trainee on a competency tool: start, save the draft, submit, amend. Services flush, never commit.

The level of each item is derived on the server from the ticked behaviours (derive_level); an
item counts as rated when it has ticks, is marked "none of these behaviours seen" (stored as a
level with no ticks), or is marked not observed. A submitted assessment never changes again.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.auth.models import User
from app.competencies import harm
from app.competencies.levels import derive_level
from app.competencies.models import (
    Assessment,
    AssessmentMethod,
    AssessmentStage,
    AssessmentStatus,
    Behaviour,
    BehaviourGroup,
    CompetencyItem,
    CompetencyTool,
    HarmFlag,
    ItemRating,
    RatingSession,
    Scenario,
)
from app.core import audit
from app.core.db import utcnow
from app.core.signals import trainees_progressed
from app.core.i18n import _l
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, CohortStatus, Role, SupervisorAssignment

open_harm_flags = harm.open_harm_flags  # for certification: a trainee with an open flag cannot be certified


class AssessmentError(Exception):
    """A rule refused the change; `message` is shown to the person, `items` are the item ids concerned."""

    def __init__(self, message: Any, items: dict[int, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.items = items or {}


@dataclass
class ItemInput:
    """What the form says about one item."""

    behaviour_codes: list[str] = field(default_factory=list)
    not_observed: bool = False
    none_seen: bool = False
    note: str | None = None


@dataclass
class SubmitResult:
    assessment: Assessment
    raised: list[HarmFlag]
    cleared: list[HarmFlag]


# -- reading -----------------------------------------------------------------------------------

def tools_for(organisation_id: int) -> list[CompetencyTool]:
    """The shared tools and the organisation's own imported ones."""
    return list(db.session.scalars(
        sa.select(CompetencyTool)
        .where(sa.or_(CompetencyTool.organisation_id.is_(None), CompetencyTool.organisation_id == organisation_id),
               CompetencyTool.archived_at.is_(None))
        .order_by(CompetencyTool.slug)))


def can_use_tool(tool: CompetencyTool, organisation_id: int) -> bool:
    return tool.archived_at is None and tool.organisation_id in (None, organisation_id)


def visible_items(tool: CompetencyTool) -> list[CompetencyItem]:
    """The tool's current items with their behaviours (loaded in one more query, not one per item)."""
    return list(db.session.scalars(
        sa.select(CompetencyItem).where(CompetencyItem.tool_id == tool.id, CompetencyItem.is_hidden.is_(False))
        .options(selectinload(CompetencyItem.behaviours)).order_by(CompetencyItem.position, CompetencyItem.id)))


@dataclass(frozen=True, slots=True)
class SheetItem:
    """One item of the rating form as plain text in one language: groups are (group, ((code, text), ...))."""

    id: int
    code: str
    title: str
    description: str
    basic_total: int
    groups: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    codes: tuple[str, ...]


_SHEETS: dict[tuple, tuple[SheetItem, ...]] = {}
_GROUP_ORDER = tuple(group.value for group in (BehaviourGroup.HARMFUL, BehaviourGroup.BASIC, BehaviourGroup.ADVANCED))


def rating_sheet(tool: CompetencyTool, language: str) -> tuple[SheetItem, ...]:
    """The tool's visible items and behaviours, localized, read with one statement of plain columns.

    A tool synced from a pack changes only through a sync, which changes its content_hash: the sheet
    is kept per process under that hash (and the row's timestamps). A tool without a hash is read each time.
    """
    key = (tool.id, tool.content_hash, tool.created_at, tool.updated_at, language)
    sheet = _SHEETS.get(key) if tool.content_hash else None
    if sheet is None:
        sheet = _read_sheet(tool.id, language)
        if tool.content_hash:
            if len(_SHEETS) >= 64:
                _SHEETS.clear()
            _SHEETS[key] = sheet
    return sheet


def _read_sheet(tool_id: int, language: str) -> tuple[SheetItem, ...]:
    from app.notifications.catalogue import localized

    rows = db.session.execute(
        sa.select(CompetencyItem.id, CompetencyItem.code, CompetencyItem.title, CompetencyItem.description,
                  Behaviour.code, Behaviour.group, Behaviour.text)
        .outerjoin(Behaviour, sa.and_(Behaviour.item_id == CompetencyItem.id, Behaviour.is_hidden.is_(False)))
        .where(CompetencyItem.tool_id == tool_id, CompetencyItem.is_hidden.is_(False))
        .order_by(CompetencyItem.position, CompetencyItem.id, Behaviour.position, Behaviour.id)).all()
    items: dict[int, tuple[Any, dict[str, list[tuple[str, str]]], list[str]]] = {}
    for item_id, code, title, description, b_code, b_group, b_text in rows:
        entry = items.get(item_id)
        if entry is None:
            entry = items[item_id] = ((code, title, description), {group: [] for group in _GROUP_ORDER}, [])
        if b_code is not None:
            entry[1][BehaviourGroup(b_group).value].append((b_code, localized(b_text, language)))
            entry[2].append(b_code)
    return tuple(
        SheetItem(id=item_id, code=code, title=localized(title, language), description=localized(description, language),
                  basic_total=len(groups[BehaviourGroup.BASIC.value]),
                  groups=tuple((group, tuple(groups[group])) for group in _GROUP_ORDER if groups[group]),
                  codes=tuple(codes))
        for item_id, ((code, title, description), groups, codes) in items.items())


def assessment_for_rating(assessment_id: int) -> tuple[Assessment, str | None] | None:
    """The assessment with its tool and scenario, and the trainee's name: the head of the rating page, in one statement."""
    row = db.session.execute(
        sa.select(Assessment, User.full_name).outerjoin(User, User.id == Assessment.trainee_id)
        .where(Assessment.id == assessment_id)
        .options(joinedload(Assessment.tool), joinedload(Assessment.scenario))).first()
    return None if row is None else (row[0], row[1])


def saved_marks(assessment_id: int) -> dict[int, Any]:
    """The saved ratings of an assessment by item id, as plain rows (level, not_observed, behaviour_codes, note)."""
    return {row.item_id: row for row in db.session.execute(
        sa.select(ItemRating.item_id, ItemRating.level, ItemRating.not_observed, ItemRating.behaviour_codes,
                  ItemRating.note).where(ItemRating.assessment_id == assessment_id))}


def visible_scenarios(tool: CompetencyTool) -> list[Scenario]:
    return [scenario for scenario in tool.scenarios if not scenario.is_hidden]


def ratable_trainees(user: User) -> list[User]:
    """Whom this person may rate: their supervisees (as a supervisor) and their cohorts' trainees (as a trainer)."""
    roles = user.roles
    conditions = []
    if Role.SUPERVISOR in roles:
        conditions.append(User.id.in_(sa.select(SupervisorAssignment.trainee_id).where(
            SupervisorAssignment.supervisor_id == user.id, SupervisorAssignment.ended_at.is_(None),
            SupervisorAssignment.organisation_id == user.organisation_id)))
    if Role.TRAINER in roles:
        staff = sa.orm.aliased(CohortMember)
        learner = sa.orm.aliased(CohortMember)
        conditions.append(User.id.in_(
            sa.select(learner.user_id).join(staff, staff.cohort_id == learner.cohort_id)
            .join(Cohort, Cohort.id == learner.cohort_id)
            .where(staff.user_id == user.id, staff.role == CohortRole.TRAINER, learner.role == CohortRole.TRAINEE,
                   Cohort.organisation_id == user.organisation_id)))
    if not conditions:
        return []
    return list(db.session.scalars(
        sa.select(User).where(sa.or_(*conditions), User.id != user.id, User.is_active_account.is_(True),
                              User.organisation_id == user.organisation_id).order_by(User.full_name)))


def cohort_for(assessor: User, trainee: User) -> Cohort | None:
    """The cohort an assessment belongs to: one the trainee is in and the assessor works with, else the newest."""
    rows = list(db.session.scalars(
        sa.select(Cohort).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == trainee.id, CohortMember.role == CohortRole.TRAINEE,
               Cohort.organisation_id == trainee.organisation_id)
        .order_by((Cohort.status == CohortStatus.ARCHIVED), Cohort.starts_on.desc().nulls_last(), Cohort.id.desc())))
    if not rows:
        return None
    mine = set(db.session.scalars(sa.select(CohortMember.cohort_id).where(
        CohortMember.user_id == assessor.id, CohortMember.cohort_id.in_([c.id for c in rows]))))
    assigned = set(db.session.scalars(sa.select(SupervisorAssignment.cohort_id).where(
        SupervisorAssignment.supervisor_id == assessor.id, SupervisorAssignment.trainee_id == trainee.id,
        SupervisorAssignment.ended_at.is_(None))))
    return next((c for c in rows if c.id in mine | assigned), rows[0])


def drafts_of(user: User) -> list[Assessment]:
    return list(db.session.scalars(
        sa.select(Assessment).where(Assessment.assessor_id == user.id, Assessment.status == AssessmentStatus.DRAFT,
                                    Assessment.organisation_id == user.organisation_id)
        .options(selectinload(Assessment.trainee), selectinload(Assessment.tool))
        .order_by(sa.func.coalesce(Assessment.saved_at, Assessment.started_at).desc())))


def submitted_by(user: User, limit: int = 20) -> list[Assessment]:
    return list(db.session.scalars(
        sa.select(Assessment).where(Assessment.assessor_id == user.id, Assessment.status == AssessmentStatus.SUBMITTED,
                                    Assessment.organisation_id == user.organisation_id)
        .options(selectinload(Assessment.trainee), selectinload(Assessment.tool))
        .order_by(Assessment.submitted_at.desc()).limit(limit)))


def ratings_by_item(assessment: Assessment) -> dict[int, ItemRating]:
    return {rating.item_id: rating for rating in assessment.ratings}


def is_rated(rating: ItemRating | None) -> bool:
    return rating is not None and (rating.not_observed or rating.level is not None)


def amendment_of(assessment: Assessment) -> Assessment | None:
    """The assessment that corrects this one (a draft in progress, or the submitted one that superseded it)."""
    return db.session.scalar(sa.select(Assessment).where(Assessment.amends_id == assessment.id)
                             .order_by(Assessment.id.desc()).limit(1))


# -- changing ----------------------------------------------------------------------------------

def draw_scenario(tool: CompetencyTool, rng: random.Random | None = None) -> Scenario | None:
    """A scenario drawn at random from the tool's bank (None if the bank is empty)."""
    scenarios = visible_scenarios(tool)
    return (rng or random.SystemRandom()).choice(scenarios) if scenarios else None


def start_assessment(assessor: User, trainee: User | None, tool: CompetencyTool, stage: AssessmentStage,
                     method: AssessmentMethod, *, scenario: Scenario | None = None, draw: bool = False,
                     observed_on: date | None = None, cohort: Cohort | None = None,
                     rating_session: RatingSession | None = None) -> Assessment:
    """A new draft. With draw=True (and no scenario) a scenario is drawn from the tool's bank."""
    if not can_use_tool(tool, assessor.organisation_id):
        raise AssessmentError(_l("This tool is not available to your organisation."))
    if scenario is not None and (scenario.tool_id != tool.id or scenario.is_hidden):
        raise AssessmentError(_l("Choose a scenario of this tool."))
    if scenario is None and draw:
        scenario = draw_scenario(tool)
    if cohort is None and trainee is not None:
        cohort = cohort_for(assessor, trainee)
    assessment = Assessment(
        organisation_id=assessor.organisation_id, trainee_id=trainee.id if trainee else None, assessor_id=assessor.id,
        tool_id=tool.id, tool_version=tool.version, cohort_id=cohort.id if cohort else None, stage=stage,
        method=method, scenario_id=scenario.id if scenario else None,
        rating_session_id=rating_session.id if rating_session else None, observed_on=observed_on,
        status=AssessmentStatus.DRAFT)
    db.session.add(assessment)
    db.session.flush()
    audit.record("assessment.started", assessment, actor_id=assessor.id,
                 after={"trainee_id": assessment.trainee_id, "tool": tool.slug, "stage": stage.value,
                        "method": method.value, "scenario": scenario.slug if scenario else None})
    return assessment


def _check_draft(assessment: Assessment) -> None:
    if assessment.status != AssessmentStatus.DRAFT:
        raise AssessmentError(_l("This assessment has been submitted and can no longer change. "
                                 "To correct it, make an amendment."))


def _level(item: CompetencyItem, codes: list[str], not_observed: bool, none_seen: bool) -> int | None:
    """derive_level over the item's behaviours; None when not observed or not rated yet."""
    if not_observed or not (codes or none_seen):
        return None
    seen = set(codes)
    count = {group: 0 for group in BehaviourGroup}
    basic_total = 0
    for behaviour in item.behaviours:
        if behaviour.is_hidden:
            continue
        basic_total += behaviour.group is BehaviourGroup.BASIC
        count[behaviour.group] += behaviour.code in seen
    return derive_level(count[BehaviourGroup.HARMFUL], count[BehaviourGroup.BASIC], basic_total,
                        count[BehaviourGroup.ADVANCED])


def check_inputs(tool: CompetencyTool, inputs: dict[int, ItemInput]) -> dict[int, Any]:
    """Problems per item id: unknown behaviours, ticks together with "not observed" or "none seen"."""
    items = {item.id: item for item in visible_items(tool)}
    problems: dict[int, Any] = {}
    for item_id, given in inputs.items():
        item = items.get(item_id)
        if item is None:
            problems[item_id] = _l("This item is not part of the tool.")
            continue
        known = {b.code for b in item.behaviours if not b.is_hidden}
        if set(given.behaviour_codes) - known:
            problems[item_id] = _l("Unknown behaviour.")
        elif given.not_observed and (given.behaviour_codes or given.none_seen):
            problems[item_id] = _l("An item marked not observed cannot have ticked behaviours. "
                                   "Clear the ticks or the not observed mark.")
        elif given.none_seen and given.behaviour_codes:
            problems[item_id] = _l("You ticked behaviours and also “none of these seen”. Clear one of them.")
    return problems


def save_ratings(assessment: Assessment, inputs: dict[int, ItemInput], overall_note: str | None = None) -> None:
    """Save the draft (all given items, or one item for an autosave). Refuses a submitted assessment."""
    _check_draft(assessment)
    problems = check_inputs(assessment.tool, inputs)
    if problems:
        raise AssessmentError(_l("Some items need a correction."), problems)
    items = {item.id: item for item in visible_items(assessment.tool)}
    existing = ratings_by_item(assessment)
    for item_id, given in inputs.items():
        item = items[item_id]
        ordered = [b.code for b in item.behaviours if b.code in set(given.behaviour_codes)]
        level = _level(item, ordered, given.not_observed, given.none_seen)
        rating = existing.get(item_id)
        if rating is None:
            rating = ItemRating(item_id=item_id)
            assessment.ratings.append(rating)
        rating.behaviour_codes = ordered
        rating.not_observed = given.not_observed
        rating.level = level
        rating.note = given.note or None
    if overall_note is not None:
        assessment.overall_note = overall_note or None
    assessment.saved_at = utcnow()
    db.session.flush()


def _levels(assessment: Assessment) -> dict[str, Any]:
    codes = {item.id: item.code for item in assessment.tool.items}
    return {codes[r.item_id]: ("n/a" if r.not_observed else r.level) for r in assessment.ratings}


def submit_assessment(assessment: Assessment, actor: User) -> SubmitResult:
    """Lock the assessment: every item rated; levels derived again on the server; harm flags raised or cleared."""
    _check_draft(assessment)
    ratings = ratings_by_item(assessment)
    missing = {item.id: _l("Rate this item or mark it not observed.")
               for item in visible_items(assessment.tool) if not is_rated(ratings.get(item.id))}
    if missing:
        raise AssessmentError(_l("Some items are not rated yet."), missing)
    items = {item.id: item for item in assessment.tool.items}
    for rating in assessment.ratings:
        none_seen = rating.level is not None and not rating.behaviour_codes
        rating.level = _level(items[rating.item_id], rating.behaviour_codes, rating.not_observed, none_seen)
    now = utcnow()
    assessment.has_harm = any(r.level == 1 for r in assessment.ratings)
    assessment.status = AssessmentStatus.SUBMITTED
    assessment.submitted_at = now
    assessment.saved_at = now
    db.session.flush()
    audit.record("assessment.submitted", assessment, actor_id=actor.id,
                 after={"levels": _levels(assessment), "has_harm": assessment.has_harm})
    if assessment.amends_id is not None:
        original = db.session.get(Assessment, assessment.amends_id)
        original.superseded_at = now
        audit.record("assessment.amended", original, actor_id=actor.id,
                     before={"levels": _levels(original), "has_harm": original.has_harm},
                     after={"levels": _levels(assessment), "has_harm": assessment.has_harm,
                            "amendment_id": assessment.id, "reason": assessment.amendment_reason})
    raised, cleared = harm.process_submitted(assessment, actor)
    trainees_progressed([assessment.trainee_id])
    return SubmitResult(assessment, raised, cleared)


def start_amendment(original: Assessment, actor: User, reason: str) -> Assessment:
    """A correction: a new draft copying the ticks and notes, which supersedes the original when submitted."""
    if original.status != AssessmentStatus.SUBMITTED or original.superseded_at is not None:
        raise AssessmentError(_l("Only the current submitted assessment can be amended."))
    pending = amendment_of(original)
    if pending is not None and pending.status == AssessmentStatus.DRAFT:
        return pending
    if not reason or not reason.strip():
        raise AssessmentError(_l("Say why the assessment needs a correction."))
    copy = Assessment(
        organisation_id=original.organisation_id, trainee_id=original.trainee_id, assessor_id=actor.id,
        tool_id=original.tool_id, tool_version=original.tool_version, cohort_id=original.cohort_id,
        stage=original.stage, method=original.method, scenario_id=original.scenario_id,
        rating_session_id=original.rating_session_id, observed_on=original.observed_on,
        overall_note=original.overall_note, amends_id=original.id, amendment_reason=reason.strip(),
        status=AssessmentStatus.DRAFT, saved_at=utcnow())
    copy.ratings = [ItemRating(item_id=r.item_id, behaviour_codes=list(r.behaviour_codes), not_observed=r.not_observed,
                               level=r.level, note=r.note) for r in original.ratings]
    db.session.add(copy)
    db.session.flush()
    audit.record("assessment.amendment_started", copy, actor_id=actor.id,
                 after={"amends_id": original.id, "reason": copy.amendment_reason})
    return copy


def discard_draft(assessment: Assessment, actor: User) -> None:
    """Delete a draft nobody has submitted (a rater's draft in a rating session stays: the session expects it)."""
    _check_draft(assessment)
    if assessment.rating_session_id is not None and assessment.amends_id is None:
        raise AssessmentError(_l("A rating session's assessment cannot be discarded."))
    audit.record("assessment.discarded", assessment, actor_id=actor.id,
                 before={"trainee_id": assessment.trainee_id, "tool_id": assessment.tool_id,
                         "levels": _levels(assessment)})
    db.session.delete(assessment)
    db.session.flush()


# -- rating sessions (several raters, one performance) -------------------------------------------

def possible_raters(organisation_id: int) -> list[User]:
    """Supervisors and trainers of the organisation, active."""
    from app.orgs.models import RoleAssignment

    return list(db.session.scalars(
        sa.select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.organisation_id == organisation_id,
               RoleAssignment.role.in_([Role.SUPERVISOR, Role.TRAINER]), User.is_active_account.is_(True),
               User.organisation_id == organisation_id)
        .distinct().order_by(User.full_name)))


def create_rating_session(creator: User, tool: CompetencyTool, title: str, *, stage: AssessmentStage,
                          method: AssessmentMethod, raters: list[User], trainee: User | None = None,
                          cohort: Cohort | None = None, scenario: Scenario | None = None, draw: bool = False,
                          reference: User | None = None) -> RatingSession:
    """One performance, several raters: each rater gets their own draft, blind to the others until they submit."""
    from app.notifications.services import notify

    organisation_id = creator.organisation_id
    if len({rater.id for rater in raters}) < 2:
        raise AssessmentError(_l("Choose at least two raters."))
    if any(rater.organisation_id != organisation_id for rater in raters) or (
            trainee is not None and trainee.organisation_id != organisation_id) or (
            cohort is not None and cohort.organisation_id != organisation_id):
        raise AssessmentError(_l("Choose people and a cohort of your organisation."))
    if trainee is not None and trainee.id in {rater.id for rater in raters}:
        raise AssessmentError(_l("A trainee cannot rate their own performance."))
    if reference is not None and reference.id not in {rater.id for rater in raters}:
        raise AssessmentError(_l("The reference rater must be one of the raters."))
    if scenario is None and draw:
        scenario = draw_scenario(tool)
    session = RatingSession(organisation_id=organisation_id, tool_id=tool.id, title=title.strip(),
                            trainee_id=trainee.id if trainee else None, cohort_id=cohort.id if cohort else None,
                            scenario_id=scenario.id if scenario else None,
                            reference_rater_id=reference.id if reference else None, created_by_id=creator.id)
    db.session.add(session)
    db.session.flush()
    for rater in {rater.id: rater for rater in raters}.values():
        start_assessment(rater, trainee, tool, stage, method, scenario=scenario, cohort=cohort,
                         rating_session=session)
    audit.record("rating_session.created", session, actor_id=creator.id,
                 after={"tool": tool.slug, "trainee_id": session.trainee_id, "raters": [r.id for r in raters],
                        "reference": session.reference_rater_id})
    from flask import has_request_context, url_for

    invited = [rater for rater in raters if rater.id != creator.id]
    notify(invited, "rating_session.invited", {"creator": creator.full_name, "title": session.title},
           url_for("competencies.session_view", rating_session_id=session.id) if has_request_context() else None,
           dedupe_key=f"rating-session:{session.id}")
    return session


def sessions_of(user: User) -> list[RatingSession]:
    """Sessions this person created or rates in, newest first."""
    rated = sa.select(Assessment.rating_session_id).where(Assessment.assessor_id == user.id,
                                                          Assessment.rating_session_id.is_not(None))
    return list(db.session.scalars(
        sa.select(RatingSession).where(RatingSession.organisation_id == user.organisation_id,
                                       sa.or_(RatingSession.created_by_id == user.id, RatingSession.id.in_(rated)))
        .options(selectinload(RatingSession.tool), selectinload(RatingSession.assessments))
        .order_by(RatingSession.created_at.desc(), RatingSession.id.desc())))
