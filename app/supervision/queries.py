"""Reading supervision: a supervisor's overview of their supervisees, a trainee's own record, and
coverage and hours by site and cohort.

The overview and coverage queries aggregate in the database: their number does not grow with the
number of supervisees (one query per figure, grouped by trainee, site or cohort).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.db import UTCDateTime, as_utc, utcnow
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole, CohortStatus, Organisation, Role, RoleAssignment, Site, SupervisorAssignment
from app.supervision.models import (
    HIGH_RISK,
    ActionItem,
    ActionStatus,
    SessionAttendee,
    SessionStatus,
    SupervisionCase,
    SupervisionSession,
)

PERIODS = (30, 90, 365)


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today() -> date:
    return datetime.now(zone()).date()


def to_utc(day: date, at: "datetime.time") -> datetime:  # type: ignore[name-defined]
    """A date and time as typed (the organisation's time zone) as an aware UTC datetime."""
    return datetime.combine(day, at, tzinfo=zone()).astimezone(ZoneInfo("UTC"))


def local(moment: datetime) -> datetime:
    return moment.astimezone(zone())


# -- a supervisor's supervisees ---------------------------------------------------------------

@dataclass
class SuperviseeRow:
    trainee: User
    assigned_at: datetime
    last_session_at: datetime | None = None
    minutes_30: int = 0
    minutes_90: int = 0
    open_actions: int = 0
    waiting_practice: int | None = None
    open_harm_flags: int = 0
    high_risk_cases: int = 0
    overdue: bool = False

    @property
    def hours_30(self) -> float:
        return self.minutes_30 / 60

    @property
    def hours_90(self) -> float:
        return self.minutes_90 / 60


def _supervisees(supervisor: User):
    return (sa.select(SupervisorAssignment.trainee_id)
            .where(SupervisorAssignment.supervisor_id == supervisor.id, SupervisorAssignment.ended_at.is_(None),
                   SupervisorAssignment.organisation_id == supervisor.organisation_id))


def _submitted_attendance():
    return (sa.select(SessionAttendee.supervisee_id, SupervisionSession.started_at,
                      SupervisionSession.duration_minutes)
            .join(SupervisionSession, SupervisionSession.id == SessionAttendee.session_id)
            .where(SupervisionSession.status == SessionStatus.SUBMITTED))


def is_overdue(last_session_at: datetime | None, assigned_at: datetime, now: datetime, days: int) -> bool:
    """No session for more than `days` days; someone never supervised counts from their assignment."""
    since = last_session_at or assigned_at
    return now - since > timedelta(days=days)


def supervisee_overview(supervisor: User, now: datetime | None = None) -> list[SuperviseeRow]:
    """One row per current supervisee, every figure from one grouped query."""
    now = now or utcnow()
    mine = _supervisees(supervisor)
    org = db.session.get(Organisation, supervisor.organisation_id)
    assigned = db.session.execute(
        sa.select(SupervisorAssignment.trainee_id, sa.func.min(SupervisorAssignment.created_at))
        .where(SupervisorAssignment.trainee_id.in_(mine), SupervisorAssignment.supervisor_id == supervisor.id,
               SupervisorAssignment.ended_at.is_(None))
        .group_by(SupervisorAssignment.trainee_id)).all()
    people = {u.id: u for u in db.session.scalars(
        sa.select(User).where(User.id.in_(mine)).options(selectinload(User.site)))}
    rows = {tid: SuperviseeRow(trainee=people[tid], assigned_at=at) for tid, at in assigned if tid in people}

    attended = _submitted_attendance().where(SessionAttendee.supervisee_id.in_(mine)).subquery()
    for tid, last, m30, m90 in db.session.execute(
            sa.select(attended.c.supervisee_id, sa.func.max(attended.c.started_at),
                      sa.func.sum(sa.case((attended.c.started_at >= now - timedelta(days=30),
                                           attended.c.duration_minutes), else_=0)),
                      sa.func.sum(sa.case((attended.c.started_at >= now - timedelta(days=90),
                                           attended.c.duration_minutes), else_=0)))
            .group_by(attended.c.supervisee_id)):
        row = rows.get(tid)
        if row is not None:
            row.last_session_at = _aware(last)
            row.minutes_30, row.minutes_90 = int(m30 or 0), int(m90 or 0)

    # An open item is about its about_id, else its owner. Two index searches (on about_id, and on owner_id,
    # status, about_id) added up: a coalesce(about_id, owner_id) condition would read every action item.
    submitted_open = (sa.select(ActionItem.id).join(SupervisionSession, SupervisionSession.id == ActionItem.session_id)
                      .where(ActionItem.status == ActionStatus.OPEN, SupervisionSession.status == SessionStatus.SUBMITTED))
    concerned = sa.union_all(
        submitted_open.with_only_columns(ActionItem.about_id.label("trainee_id")).where(ActionItem.about_id.in_(mine)),
        submitted_open.with_only_columns(ActionItem.owner_id.label("trainee_id"))
        .where(ActionItem.owner_id.in_(mine), ActionItem.about_id.is_(None)),
    ).subquery()
    for tid, n in db.session.execute(
            sa.select(concerned.c.trainee_id, sa.func.count()).group_by(concerned.c.trainee_id)):
        if tid in rows:
            rows[tid].open_actions = n

    for tid, n in db.session.execute(
            sa.select(SupervisionCase.supervisee_id, sa.func.count())
            .join(SupervisionSession, SupervisionSession.id == SupervisionCase.session_id)
            .where(SupervisionCase.supervisee_id.in_(mine), SupervisionCase.risk_level.in_(HIGH_RISK),
                   SupervisionSession.status == SessionStatus.SUBMITTED,
                   SupervisionSession.started_at >= now - timedelta(days=90))
            .group_by(SupervisionCase.supervisee_id)):
        if tid in rows:
            rows[tid].high_risk_cases = n

    for tid, n in _harm_flags(mine):
        if tid in rows:
            rows[tid].open_harm_flags = n
    waiting = _waiting_practice(mine)
    for row in rows.values():
        row.waiting_practice = waiting.get(row.trainee.id, 0) if waiting is not None else None
        row.overdue = is_overdue(row.last_session_at, _aware(row.assigned_at), now, org.supervision_overdue_days)
    return sorted(rows.values(), key=lambda r: (not r.overdue, r.trainee.full_name, r.trainee.id))


_aware = as_utc  # one rule for naive timestamps: app.core.db.as_utc


def _harm_flags(trainee_ids) -> list[tuple[int, int]]:
    from app.competencies.models import HarmFlag, HarmFlagStatus

    return db.session.execute(
        sa.select(HarmFlag.trainee_id, sa.func.count())
        .where(HarmFlag.trainee_id.in_(trainee_ids), HarmFlag.status == HarmFlagStatus.OPEN)
        .group_by(HarmFlag.trainee_id)).all()


def _waiting_practice(trainee_ids) -> dict[int, int] | None:
    """Practice entries submitted and waiting for verification; None when the practice log is absent."""
    try:
        from app.practice.models import EntryStatus, PracticeEntry
    except ImportError:
        return None
    return dict(db.session.execute(
        sa.select(PracticeEntry.trainee_id, sa.func.count())
        .where(PracticeEntry.trainee_id.in_(trainee_ids), PracticeEntry.status == EntryStatus.SUBMITTED)
        .group_by(PracticeEntry.trainee_id)).all())


def high_risk_cases(supervisor: User, now: datetime | None = None, limit: int = 20) -> list[SupervisionCase]:
    """Recent cases at high or imminent risk of the supervisor's supervisees, newest first."""
    now = now or utcnow()
    return list(db.session.scalars(
        sa.select(SupervisionCase).join(SupervisionSession, SupervisionSession.id == SupervisionCase.session_id)
        .where(SupervisionCase.supervisee_id.in_(_supervisees(supervisor)),
               SupervisionCase.risk_level.in_(HIGH_RISK), SupervisionSession.status == SessionStatus.SUBMITTED,
               SupervisionSession.started_at >= now - timedelta(days=90))
        .options(selectinload(SupervisionCase.session), selectinload(SupervisionCase.supervisee))
        .order_by(SupervisionSession.started_at.desc(), SupervisionCase.id).limit(limit)))


def sessions_logged_by(supervisor: User, limit: int = 20) -> tuple[list[SupervisionSession], list[SupervisionSession]]:
    """(drafts, recent submitted sessions) of this supervisor."""
    base = (sa.select(SupervisionSession).where(SupervisionSession.supervisor_id == supervisor.id)
            .options(selectinload(SupervisionSession.attendees).selectinload(SessionAttendee.supervisee))
            .order_by(SupervisionSession.started_at.desc(), SupervisionSession.id.desc()))
    drafts = db.session.scalars(base.where(SupervisionSession.status == SessionStatus.DRAFT))
    done = db.session.scalars(base.where(SupervisionSession.status == SessionStatus.SUBMITTED).limit(limit))
    return list(drafts), list(done)


def open_actions_owned(user: User) -> list[ActionItem]:
    return list(db.session.scalars(
        sa.select(ActionItem).join(SupervisionSession, SupervisionSession.id == ActionItem.session_id)
        .where(ActionItem.owner_id == user.id, ActionItem.status == ActionStatus.OPEN,
               SupervisionSession.status == SessionStatus.SUBMITTED)
        .options(selectinload(ActionItem.about), selectinload(ActionItem.session))
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)))


# -- a trainee's own supervision --------------------------------------------------------------

@dataclass
class MySupervision:
    sessions: list[tuple[SupervisionSession, SessionAttendee]] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    cases: list[SupervisionCase] = field(default_factory=list)
    minutes_90: int = 0

    @property
    def to_acknowledge(self) -> int:
        return sum(1 for _s, a in self.sessions if a.acknowledged_at is None)


def supervision_of(trainee: User, now: datetime | None = None) -> MySupervision:
    now = now or utcnow()
    result = MySupervision()
    rows = db.session.execute(
        sa.select(SupervisionSession, SessionAttendee)
        .join(SessionAttendee, SessionAttendee.session_id == SupervisionSession.id)
        .where(SessionAttendee.supervisee_id == trainee.id, SupervisionSession.status == SessionStatus.SUBMITTED,
               SupervisionSession.organisation_id == trainee.organisation_id)
        .options(selectinload(SupervisionSession.supervisor))
        .order_by(SupervisionSession.started_at.desc())).all()
    result.sessions = [(s, a) for s, a in rows]
    result.minutes_90 = sum(s.duration_minutes for s, _a in rows if s.started_at >= now - timedelta(days=90))
    result.actions = list(db.session.scalars(
        sa.select(ActionItem).join(SupervisionSession, SupervisionSession.id == ActionItem.session_id)
        .where(sa.or_(ActionItem.owner_id == trainee.id, ActionItem.about_id == trainee.id),
               SupervisionSession.status == SessionStatus.SUBMITTED,
               SupervisionSession.organisation_id == trainee.organisation_id)
        .options(selectinload(ActionItem.owner), selectinload(ActionItem.about))
        .order_by(ActionItem.status, ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)))
    result.cases = list(db.session.scalars(
        sa.select(SupervisionCase).join(SupervisionSession, SupervisionSession.id == SupervisionCase.session_id)
        .where(SupervisionCase.supervisee_id == trainee.id, SupervisionSession.status == SessionStatus.SUBMITTED)
        .options(selectinload(SupervisionCase.session))
        .order_by(SupervisionSession.started_at.desc(), SupervisionCase.position)))
    return result


# -- coverage and hours by site and cohort ----------------------------------------------------

@dataclass
class CoverageRow:
    label: str
    trainees: int = 0
    supervised: int = 0
    minutes: int = 0
    overdue: int = 0

    @property
    def coverage(self) -> float | None:
        return self.supervised / self.trainees if self.trainees else None

    @property
    def hours(self) -> float:
        return self.minutes / 60


def _received(organisation_id: int, since: datetime | None):
    """Per trainee: minutes of supervision received since the date, and their last session."""
    query = (sa.select(SessionAttendee.supervisee_id.label("trainee_id"),
                       sa.func.sum(SupervisionSession.duration_minutes).label("minutes"),
                       sa.func.count().label("sessions"))
             .join(SupervisionSession, SupervisionSession.id == SessionAttendee.session_id)
             .where(SupervisionSession.organisation_id == organisation_id,
                    SupervisionSession.status == SessionStatus.SUBMITTED))
    if since is not None:
        query = query.where(SupervisionSession.started_at >= since)
    return query.group_by(SessionAttendee.supervisee_id).subquery()


def _last(organisation_id: int):
    return (sa.select(SessionAttendee.supervisee_id.label("trainee_id"),
                      sa.func.max(SupervisionSession.started_at).label("last_at"))
            .join(SupervisionSession, SupervisionSession.id == SessionAttendee.session_id)
            .where(SupervisionSession.organisation_id == organisation_id,
                   SupervisionSession.status == SessionStatus.SUBMITTED)
            .group_by(SessionAttendee.supervisee_id).subquery())


def _trainees(organisation_id: int):
    return (sa.select(User.id).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(User.organisation_id == organisation_id, User.is_active_account.is_(True),
                   RoleAssignment.organisation_id == organisation_id, RoleAssignment.role == Role.TRAINEE))


def coverage(organisation_id: int, days: int | None, now: datetime | None = None
             ) -> tuple[list[CoverageRow], list[CoverageRow], CoverageRow]:
    """(by site, by cohort, whole organisation) for the last `days` days (None: all time).

    A trainee is supervised in the period with at least one submitted session; overdue with none
    in the organisation's overdue window (from today, whatever the period)."""
    now = now or utcnow()
    org = db.session.get(Organisation, organisation_id)
    received = _received(organisation_id, now - timedelta(days=days) if days else None)
    last = _last(organisation_id)
    overdue_before = now - timedelta(days=org.supervision_overdue_days)
    trainees = _trainees(organisation_id).subquery()

    def figures(group_column, join_from):
        query = (sa.select(group_column, sa.func.count(sa.distinct(trainees.c.id)),
                           sa.func.count(sa.distinct(received.c.trainee_id)),
                           sa.func.coalesce(sa.func.sum(received.c.minutes), 0),
                           sa.func.count(sa.distinct(sa.case(
                               (sa.or_(last.c.last_at.is_(None), last.c.last_at < overdue_before), trainees.c.id)))))
                 .select_from(join_from)
                 .outerjoin(received, received.c.trainee_id == trainees.c.id)
                 .outerjoin(last, last.c.trainee_id == trainees.c.id)
                 .group_by(group_column))
        return db.session.execute(query).all()

    users = sa.orm.aliased(User)
    site_rows = figures(users.site_id, trainees.join(users, users.id == trainees.c.id))
    sites = dict(db.session.execute(sa.select(Site.id, Site.name).where(Site.organisation_id == organisation_id)).all())
    by_site = [CoverageRow(sites.get(site_id, "—"), n, s, int(m), o) for site_id, n, s, m, o in site_rows]
    by_site.sort(key=lambda r: (r.label == "—", r.label))

    members = (sa.select(CohortMember.user_id, CohortMember.cohort_id).join(Cohort, Cohort.id == CohortMember.cohort_id)
               .where(CohortMember.role == CohortRole.TRAINEE, Cohort.organisation_id == organisation_id,
                      Cohort.status != CohortStatus.ARCHIVED).subquery())
    cohort_rows = figures(members.c.cohort_id, trainees.join(members, members.c.user_id == trainees.c.id))
    cohorts = dict(db.session.execute(sa.select(Cohort.id, Cohort.name)
                                      .where(Cohort.organisation_id == organisation_id)).all())
    by_cohort = sorted((CoverageRow(cohorts.get(cid, "—"), n, s, int(m), o) for cid, n, s, m, o in cohort_rows),
                       key=lambda r: r.label)
    total = CoverageRow("", sum(r.trainees for r in by_site), sum(r.supervised for r in by_site),
                        sum(r.minutes for r in by_site), sum(r.overdue for r in by_site))
    return by_site, by_cohort, total


# -- exports ----------------------------------------------------------------------------------

def sessions_for_export(organisation_id: int, days: int | None, now: datetime | None = None) -> list[SupervisionSession]:
    now = now or utcnow()
    query = (sa.select(SupervisionSession)
             .where(SupervisionSession.organisation_id == organisation_id,
                    SupervisionSession.status == SessionStatus.SUBMITTED)
             .options(selectinload(SupervisionSession.supervisor), selectinload(SupervisionSession.site),
                      selectinload(SupervisionSession.cohort),
                      selectinload(SupervisionSession.attendees).selectinload(SessionAttendee.supervisee),
                      selectinload(SupervisionSession.cases).selectinload(SupervisionCase.supervisee))
             .order_by(SupervisionSession.started_at, SupervisionSession.id))
    if days:
        query = query.where(SupervisionSession.started_at >= now - timedelta(days=days))
    return list(db.session.scalars(query))


def hours_for_export(organisation_id: int, days: int | None, now: datetime | None = None) -> list[tuple]:
    """(trainee, site name, sessions, minutes, last session) for every active trainee of the organisation."""
    now = now or utcnow()
    received = _received(organisation_id, now - timedelta(days=days) if days else None)
    last = _last(organisation_id)
    rows = db.session.execute(
        sa.select(User, Site.name, received.c.sessions, received.c.minutes, last.c.last_at)
        .where(User.id.in_(_trainees(organisation_id)))
        .outerjoin(Site, Site.id == User.site_id)
        .outerjoin(received, received.c.trainee_id == User.id)
        .outerjoin(last, last.c.trainee_id == User.id)
        .order_by(User.full_name, User.id)).all()
    return [(user, site or "", sessions or 0, minutes or 0, _aware(last_at)) for user, site, sessions, minutes, last_at in rows]


@cache
def _open_actions_statement() -> sa.Select:
    return (sa.select(sa.func.count()).select_from(ActionItem)
            .join(SupervisionSession, SupervisionSession.id == ActionItem.session_id)
            .where(ActionItem.owner_id == sa.bindparam("owner_id"), ActionItem.status == ActionStatus.OPEN,
                   SupervisionSession.status == SessionStatus.SUBMITTED))


@dataclass
class HomePanel:
    open_actions: int = 0
    supervisees: int | None = None
    overdue: int | None = None
    high_risk: int | None = None
    to_acknowledge: int | None = None


def home_panel(user: User, is_supervisor: bool, is_trainee: bool) -> HomePanel:
    """The few figures the home page shows; aggregate queries only."""
    panel = HomePanel(open_actions=db.session.scalar(_open_actions_statement(), {"owner_id": user.id}) or 0)
    if is_supervisor:
        panel.supervisees, panel.overdue, panel.high_risk = supervisor_figures(user)
    if is_trainee:
        panel.to_acknowledge = db.session.scalar(
            sa.select(sa.func.count()).select_from(SessionAttendee)
            .join(SupervisionSession, SupervisionSession.id == SessionAttendee.session_id)
            .where(SessionAttendee.supervisee_id == user.id, SessionAttendee.acknowledged_at.is_(None),
                   SupervisionSession.status == SessionStatus.SUBMITTED)) or 0
    return panel


@cache
def _supervisor_figures_statement() -> sa.Select:
    """Built once (see supervisor_figures): building it cost more than running it."""
    mine = (sa.select(SupervisorAssignment.trainee_id)
            .where(SupervisorAssignment.supervisor_id == sa.bindparam("supervisor_id"),
                   SupervisorAssignment.ended_at.is_(None),
                   SupervisorAssignment.organisation_id == sa.bindparam("organisation_id")))
    assigned = (sa.select(SupervisorAssignment.trainee_id.label("trainee_id"),
                          sa.func.min(SupervisorAssignment.created_at).label("assigned_at"))
                .where(SupervisorAssignment.trainee_id.in_(mine),
                       SupervisorAssignment.supervisor_id == sa.bindparam("supervisor_id"),
                       SupervisorAssignment.ended_at.is_(None))
                .group_by(SupervisorAssignment.trainee_id).subquery())
    last = (sa.select(SessionAttendee.supervisee_id.label("trainee_id"),
                      sa.func.max(SupervisionSession.started_at).label("last_at"))
            .join(SupervisionSession, SupervisionSession.id == SessionAttendee.session_id)
            .where(SupervisionSession.status == SessionStatus.SUBMITTED, SessionAttendee.supervisee_id.in_(mine))
            .group_by(SessionAttendee.supervisee_id).subquery())
    days = (sa.select(Organisation.supervision_overdue_days)
            .where(Organisation.id == sa.bindparam("organisation_id")).scalar_subquery())
    high_risk = (sa.select(sa.func.count()).select_from(SupervisionCase)
                 .join(SupervisionSession, SupervisionSession.id == SupervisionCase.session_id)
                 .where(SupervisionCase.supervisee_id.in_(mine), SupervisionCase.risk_level.in_(HIGH_RISK),
                        SupervisionSession.status == SessionStatus.SUBMITTED,
                        SupervisionSession.started_at >= sa.bindparam("since", type_=UTCDateTime()))
                 .scalar_subquery())
    return (sa.select(assigned.c.assigned_at, last.c.last_at, days, high_risk)
            .outerjoin(last, last.c.trainee_id == assigned.c.trainee_id))


def supervisor_figures(supervisor: User, now: datetime | None = None) -> tuple[int, int, int]:
    """(supervisees, overdue, high-risk cases in 90 days) as supervisee_overview counts them, in one statement.

    One row per supervisee (when assigned, last session); the organisation's overdue window and the
    high-risk count come along as uncorrelated subqueries, so nothing else is read.
    """
    now = now or utcnow()
    rows = db.session.execute(_supervisor_figures_statement(), {
        "supervisor_id": supervisor.id, "organisation_id": supervisor.organisation_id,
        "since": now - timedelta(days=90)}).all()
    if not rows:
        return 0, 0, 0
    window, cases = rows[0][2], rows[0][3]
    overdue = sum(1 for assigned_at, last_at, _d, _h in rows
                  if is_overdue(_aware(last_at), _aware(assigned_at), now, window))
    return len(rows), overdue, int(cases or 0)
