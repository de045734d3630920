"""Reading the practice log: cases and their progress, the supervisor's queue, counts for staff.

``verified_completed_cases`` is what certification counts: only verified entries make a case.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, Site, SupervisorAssignment
from app.practice.models import EntryStatus, Intervention, PracticeCase, PracticeEntry, PracticeRule
from app.practice.services import rule_for

SENT = (EntryStatus.SUBMITTED, EntryStatus.VERIFIED)


def meets_rule(entries: list[PracticeEntry], rule: PracticeRule) -> bool:
    """The completed-case rule: the required number of distinct sessions, and a post-assessment when the
    rule asks for one (a PSYCHLOPS "after" score, or a custom measure taken at the last required session)."""
    numbers = {e.session_number for e in entries if e.session_number}
    if len(numbers) < rule.required_sessions:
        return False
    if not rule.needs_post_assessment:
        return True
    return any(e.outcome_after is not None
               or (e.custom_measure_value is not None and (e.session_number or 0) >= rule.required_sessions)
               for e in entries)


@dataclass
class Outcome:
    """First and last score of one measure over a case; for PSYCHLOPS a fall is an improvement."""

    name: str | None
    first: float | None = None
    last: float | None = None
    scores: int = 0

    @property
    def change(self) -> float | None:
        if self.scores < 2 or self.first is None or self.last is None:
            return None
        return self.last - self.first


def _psychlops(entries: list[PracticeEntry]) -> Outcome:
    outcome = Outcome("PSYCHLOPS")
    for entry in entries:
        for score in (entry.outcome_before, entry.outcome_after):
            if score is not None:
                outcome.first = score if outcome.first is None else outcome.first
                outcome.last = score
                outcome.scores += 1
    return outcome


def _custom(entries: list[PracticeEntry]) -> Outcome | None:
    measured = [e for e in entries if e.custom_measure_value is not None]
    if not measured:
        return None
    return Outcome(measured[-1].custom_measure_name, measured[0].custom_measure_value,
                   measured[-1].custom_measure_value, len(measured))


@dataclass
class CaseProgress:
    case: PracticeCase
    rule: PracticeRule
    entries: list[PracticeEntry]
    sessions: list[tuple[int, PracticeEntry | None]] = field(default_factory=list)
    is_completed: bool = False           # submitted and verified sessions meet the rule
    is_verified_completed: bool = False  # verified sessions alone meet the rule
    psychlops: Outcome | None = None
    custom: Outcome | None = None

    @property
    def has_risk_flag(self) -> bool:
        return any(e.has_risk_flag for e in self.entries if e.status != EntryStatus.DRAFT)


def case_progress(case: PracticeCase, rule: PracticeRule, include_drafts: bool = False) -> CaseProgress:
    """Sessions 1…N of a case (N = the rule's sessions, or more if more were logged) and the outcome change."""
    shown = [e for e in case.entries if include_drafts or e.status != EntryStatus.DRAFT]
    sent = [e for e in shown if e.status in SENT]
    verified = [e for e in shown if e.status == EntryStatus.VERIFIED]
    by_number: dict[int, PracticeEntry] = {}
    for entry in shown:
        if entry.session_number and (entry.session_number not in by_number or entry.status in SENT):
            by_number[entry.session_number] = entry
    last = max([rule.required_sessions, *by_number])
    return CaseProgress(
        case=case, rule=rule, entries=shown,
        sessions=[(n, by_number.get(n)) for n in range(1, last + 1)],
        is_completed=meets_rule(sent, rule), is_verified_completed=meets_rule(verified, rule),
        psychlops=_psychlops(sent), custom=_custom(sent),
    )


def _cases(*conditions: sa.ColumnElement) -> list[PracticeCase]:
    return list(db.session.scalars(
        sa.select(PracticeCase).where(*conditions)
        .options(selectinload(PracticeCase.entries), selectinload(PracticeCase.trainee))
        .order_by(PracticeCase.client_code, PracticeCase.id)))


def _rules(organisation_id: int) -> dict[Intervention, PracticeRule]:
    return {i: rule_for(organisation_id, i) for i in Intervention}


def progress_of(cases: list[PracticeCase], include_drafts: bool = False) -> list[CaseProgress]:
    rules: dict[int, dict[Intervention, PracticeRule]] = {}
    result = []
    for case in cases:
        org_rules = rules.setdefault(case.organisation_id, _rules(case.organisation_id))
        result.append(case_progress(case, org_rules[case.intervention], include_drafts))
    return result


def verified_completed_cases(trainee_id: int, intervention: Intervention | str) -> int:
    """How many of the trainee's cases of this intervention are completed by verified entries alone."""
    cases = _cases(PracticeCase.trainee_id == trainee_id, PracticeCase.intervention == Intervention(intervention))
    return sum(1 for p in progress_of(cases) if p.is_verified_completed)


def my_cases(trainee: User) -> list[CaseProgress]:
    return progress_of(_cases(PracticeCase.trainee_id == trainee.id,
                              PracticeCase.organisation_id == trainee.organisation_id), include_drafts=True)


def my_entries(trainee: User) -> list[PracticeEntry]:
    """Newest first; drafts and returned entries (the trainee's to do) come before the rest."""
    return list(db.session.scalars(
        sa.select(PracticeEntry).where(PracticeEntry.trainee_id == trainee.id,
                                       PracticeEntry.organisation_id == trainee.organisation_id)
        .options(selectinload(PracticeEntry.case))
        .order_by(PracticeEntry.status.in_([EntryStatus.DRAFT, EntryStatus.RETURNED]).desc(),
                  PracticeEntry.delivered_on.desc(), PracticeEntry.id.desc())))


def _supervisee_ids(supervisor: User) -> sa.Select:
    return (sa.select(SupervisorAssignment.trainee_id)
            .where(SupervisorAssignment.supervisor_id == supervisor.id, SupervisorAssignment.ended_at.is_(None),
                   SupervisorAssignment.organisation_id == supervisor.organisation_id))


def verification_queue(supervisor: User) -> list[PracticeEntry]:
    """Entries of the supervisor's current supervisees waiting for verification: risks first, then oldest."""
    return list(db.session.scalars(
        sa.select(PracticeEntry)
        .where(PracticeEntry.status == EntryStatus.SUBMITTED,
               PracticeEntry.organisation_id == supervisor.organisation_id,
               PracticeEntry.trainee_id.in_(_supervisee_ids(supervisor)))
        .options(selectinload(PracticeEntry.case), selectinload(PracticeEntry.trainee))
        .order_by(PracticeEntry.has_risk_flag.desc(), PracticeEntry.submitted_at, PracticeEntry.id)))


def waiting_for_verification(supervisor: User) -> int:
    """How many entries wait for this supervisor (for home pages and the supervision overview)."""
    return db.session.scalar(
        sa.select(sa.func.count(PracticeEntry.id))
        .where(PracticeEntry.status == EntryStatus.SUBMITTED,
               PracticeEntry.organisation_id == supervisor.organisation_id,
               PracticeEntry.trainee_id.in_(_supervisee_ids(supervisor)))) or 0


def supervisee_cases(supervisor: User) -> list[CaseProgress]:
    return progress_of(_cases(PracticeCase.organisation_id == supervisor.organisation_id,
                              PracticeCase.trainee_id.in_(_supervisee_ids(supervisor))))


def organisation_cases(organisation_id: int) -> list[CaseProgress]:
    return progress_of(_cases(PracticeCase.organisation_id == organisation_id))


@dataclass
class Counts:
    """Figures for one cohort or site; no client codes, no free text."""

    label: str
    trainees: int = 0
    logging: int = 0
    waiting: int = 0
    verified: int = 0
    returned: int = 0
    risk: int = 0
    completed_cases: int = 0


def practice_counts(organisation_id: int) -> tuple[list[Counts], list[Counts]]:
    """(per cohort, per site) counts of sent entries and verified completed cases."""
    progress = organisation_cases(organisation_id)
    by_trainee: dict[int, Counts] = defaultdict(lambda: Counts(""))
    for p in progress:
        if not p.entries:
            continue
        figures = by_trainee[p.case.trainee_id]
        figures.completed_cases += p.is_verified_completed
        for entry in p.entries:
            figures.waiting += entry.status == EntryStatus.SUBMITTED
            figures.verified += entry.status == EntryStatus.VERIFIED
            figures.returned += entry.status == EntryStatus.RETURNED
            figures.risk += entry.has_risk_flag
    cohorts = db.session.execute(
        sa.select(Cohort.name, CohortMember.user_id).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(Cohort.organisation_id == organisation_id, CohortMember.role == CohortRole.TRAINEE)
        .order_by(Cohort.name)).all()
    sites = db.session.execute(
        sa.select(Site.name, User.id).join(User, User.site_id == Site.id)
        .where(Site.organisation_id == organisation_id, User.organisation_id == organisation_id,
               User.id.in_(sa.select(CohortMember.user_id).where(CohortMember.role == CohortRole.TRAINEE)))
        .order_by(Site.name)).all()
    return _group(cohorts, by_trainee), _group(sites, by_trainee)


def _group(rows: list[tuple[str, int]], by_trainee: dict[int, Counts]) -> list[Counts]:
    groups: dict[str, Counts] = {}
    for label, trainee_id in rows:
        total = groups.setdefault(label, Counts(label))
        total.trainees += 1
        figures = by_trainee.get(trainee_id)
        if figures is None:
            continue
        total.logging += 1
        for name in ("waiting", "verified", "returned", "risk", "completed_cases"):
            setattr(total, name, getattr(total, name) + getattr(figures, name))
    return list(groups.values())
