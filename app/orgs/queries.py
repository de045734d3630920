"""Read-only questions about people and groups, used by home pages and lists."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.core.audit import AuditEvent
from app.extensions import db
from app.orgs.models import (
    Cohort,
    CohortMember,
    CohortRole,
    CohortStatus,
    Organisation,
    Role,
    RoleAssignment,
    Site,
    SupervisorAssignment,
    UserImport,
)

PER_PAGE = 50
# The organisation role a person needs to hold each role in a cohort.
ORG_ROLE_FOR = {CohortRole.TRAINEE: Role.TRAINEE, CohortRole.SUPERVISOR: Role.SUPERVISOR, CohortRole.TRAINER: Role.TRAINER}
COHORT_ROLE_ORDER = (CohortRole.TRAINER, CohortRole.SUPERVISOR, CohortRole.TRAINEE)


def cohorts_of(user: User, role: CohortRole) -> list[Cohort]:
    """Cohorts in which the user holds this role, newest first (archived ones last)."""
    return list(
        db.session.scalars(
            sa.select(Cohort)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == user.id, CohortMember.role == role,
                   Cohort.organisation_id == user.organisation_id)
            .options(selectinload(Cohort.site))
            .order_by((Cohort.status == CohortStatus.ARCHIVED), Cohort.starts_on.desc(), Cohort.name)
        )
    )


def member_counts(cohort_ids: list[int]) -> dict[int, dict[CohortRole, int]]:
    counts: dict[int, dict[CohortRole, int]] = {cid: {} for cid in cohort_ids}
    if not cohort_ids:
        return counts
    rows = db.session.execute(
        sa.select(CohortMember.cohort_id, CohortMember.role, sa.func.count())
        .where(CohortMember.cohort_id.in_(cohort_ids))
        .group_by(CohortMember.cohort_id, CohortMember.role)
    )
    for cohort_id, role, count in rows:
        counts[cohort_id][role] = count
    return counts


@cache
def _supervisees_statement() -> sa.Select:
    """Built once: the supervisor's home runs it on every visit."""
    return (sa.select(SupervisorAssignment.trainee_id, User.full_name, Site.name.label("site_name"),
                      Cohort.name.label("cohort_name"))
            .join(User, User.id == SupervisorAssignment.trainee_id)
            .outerjoin(Site, Site.id == User.site_id)
            .outerjoin(Cohort, Cohort.id == SupervisorAssignment.cohort_id)
            .where(SupervisorAssignment.supervisor_id == sa.bindparam("user_id"), SupervisorAssignment.ended_at.is_(None),
                   SupervisorAssignment.organisation_id == sa.bindparam("organisation_id"),
                   User.is_active_account.is_(True))
            .order_by(User.full_name))


def supervisees_of(user: User) -> list[sa.Row]:
    """The user's current supervisees for the home table: (trainee_id, full_name, site_name, cohort_name) rows."""
    return list(db.session.execute(_supervisees_statement(),
                                   {"user_id": user.id, "organisation_id": user.organisation_id}))


@cache
def _cohort_links_statement() -> sa.Select:
    return (sa.select(Cohort.id, Cohort.name)
            .join(CohortMember, CohortMember.cohort_id == Cohort.id)
            .where(CohortMember.user_id == sa.bindparam("user_id"), CohortMember.role == sa.bindparam("role"),
                   Cohort.organisation_id == sa.bindparam("organisation_id"))
            .order_by((Cohort.status == CohortStatus.ARCHIVED), Cohort.starts_on.desc(), Cohort.name))


def cohort_links_of(user: User, role: CohortRole) -> list[sa.Row]:
    """(id, name) of the cohorts in which the user holds this role, in the order of cohorts_of."""
    return list(db.session.execute(_cohort_links_statement(),
                                   {"user_id": user.id, "role": role, "organisation_id": user.organisation_id}))


def supervisors_of(user: User) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .join(SupervisorAssignment, SupervisorAssignment.supervisor_id == User.id)
            .where(SupervisorAssignment.trainee_id == user.id, SupervisorAssignment.ended_at.is_(None))
            .distinct()
            .order_by(User.full_name)
        )
    )


@cache
def _teaching_statement() -> sa.Select:
    """The trainer's cohort cards with their member counts, in the order of cohorts_of, as plain columns."""
    def members(role: CohortRole) -> sa.ScalarSelect:
        return (sa.select(sa.func.count()).select_from(CohortMember)
                .where(CohortMember.cohort_id == Cohort.id, CohortMember.role == role)
                .correlate(Cohort).scalar_subquery())

    mine = sa.orm.aliased(CohortMember)
    return (sa.select(Cohort.id, Cohort.name, Cohort.starts_on, Cohort.ends_on, Site.name.label("site_name"),
                      members(CohortRole.TRAINEE).label("trainees"),
                      members(CohortRole.SUPERVISOR).label("supervisors"))
            .join(mine, mine.cohort_id == Cohort.id)
            .outerjoin(Site, Site.id == Cohort.site_id)
            .where(mine.user_id == sa.bindparam("user_id"), mine.role == CohortRole.TRAINER,
                   Cohort.organisation_id == sa.bindparam("organisation_id"))
            .order_by((Cohort.status == CohortStatus.ARCHIVED), Cohort.starts_on.desc(), Cohort.name))


def teaching_cards(user: User) -> list[sa.Row]:
    """(id, name, starts_on, ends_on, site_name, trainees, supervisors) of the cohorts the user trains."""
    return list(db.session.execute(_teaching_statement(),
                                   {"user_id": user.id, "organisation_id": user.organisation_id}))


@dataclass(frozen=True)
class OrganisationSummary:
    people_by_role: dict[Role, int]
    inactive_people: int
    sites: int
    cohorts_by_status: dict[CohortStatus, int]
    organisation_name: str = ""


@cache
def _summary_statement() -> sa.CompoundSelect:
    """Every figure of the admin's home in one round trip: (kind, key, count) rows.

    Both sides of the role count filter on the organisation, so each table is read through its
    organisation index (without it PostgreSQL scanned every user)."""
    org = sa.bindparam("organisation_id")

    def kind(name: str) -> sa.ColumnElement:
        return sa.literal_column(f"'{name}'").label("kind")

    return sa.union_all(
        # count(*) is a count of people: (user, organisation, role) is unique.
        sa.select(kind("role"), sa.type_coerce(RoleAssignment.role, sa.String).label("key"),
                  sa.func.count().label("n"))
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.organisation_id == org, User.organisation_id == org, User.is_active_account.is_(True))
        .group_by(RoleAssignment.role),
        sa.select(kind("cohort"), sa.type_coerce(Cohort.status, sa.String), sa.func.count())
        .where(Cohort.organisation_id == org).group_by(Cohort.status),
        sa.select(kind("inactive"), sa.literal_column("''"), sa.func.count()).select_from(User)
        .where(User.organisation_id == org, User.is_active_account.is_(False)),
        sa.select(kind("sites"), sa.literal_column("''"), sa.func.count()).select_from(Site)
        .where(Site.organisation_id == org),
        sa.select(kind("name"), Organisation.name, sa.literal_column("0")).where(Organisation.id == org),
    )


def organisation_summary(organisation_id: int) -> OrganisationSummary:
    by_role: dict[Role, int] = {}
    cohorts: dict[CohortStatus, int] = {}
    single = {"inactive": 0, "sites": 0}
    name = ""
    for kind, key, n in db.session.execute(_summary_statement(), {"organisation_id": organisation_id}):
        if kind == "role":
            by_role[Role(key)] = n
        elif kind == "cohort":
            cohorts[CohortStatus(key)] = n
        elif kind == "name":
            name = key
        else:
            single[kind] = n
    return OrganisationSummary(by_role, single["inactive"], single["sites"], cohorts, name)


# -- administration lists ------------------------------------------------------------------

@dataclass
class UserFilters:
    q: str = ""
    role: str = ""
    site_id: int = 0
    status: str = ""


def search_users(organisation_id: int, filters: UserFilters, page: int) -> Pagination:
    stmt = sa.select(User).where(User.organisation_id == organisation_id)
    if filters.q:
        stmt = stmt.where(sa.or_(User.full_name.icontains(filters.q, autoescape=True),
                                 User.username.icontains(filters.q, autoescape=True),
                                 User.email.icontains(filters.q, autoescape=True)))
    if filters.role in {r.value for r in Role}:
        stmt = stmt.where(User.id.in_(
            sa.select(RoleAssignment.user_id).where(RoleAssignment.organisation_id == organisation_id,
                                                    RoleAssignment.role == Role(filters.role))))
    if filters.site_id:
        stmt = stmt.where(User.site_id == filters.site_id)
    if filters.status in ("active", "inactive"):
        stmt = stmt.where(User.is_active_account.is_(filters.status == "active"))
    stmt = stmt.options(selectinload(User.site)).order_by(User.full_name, User.id)
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False, count=True)


@dataclass
class UserRelations:
    cohorts: list[tuple[Cohort, CohortRole]]
    supervisors: list[SupervisorAssignment]
    supervisees: list[SupervisorAssignment]
    recent_events: list[AuditEvent]


def user_relations(user: User) -> UserRelations:
    """Cohorts, active supervision links both ways, and the latest audit events about the person."""
    cohorts = db.session.execute(
        sa.select(Cohort, CohortMember.role).join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user.id, Cohort.organisation_id == user.organisation_id)
        .order_by(Cohort.starts_on.desc(), Cohort.name)
    ).all()
    links = sa.select(SupervisorAssignment).where(SupervisorAssignment.organisation_id == user.organisation_id,
                                                  SupervisorAssignment.ended_at.is_(None))
    load = (selectinload(SupervisorAssignment.supervisor), selectinload(SupervisorAssignment.trainee),
            selectinload(SupervisorAssignment.cohort))
    supervisors = db.session.scalars(links.where(SupervisorAssignment.trainee_id == user.id).options(*load)).all()
    supervisees = db.session.scalars(links.where(SupervisorAssignment.supervisor_id == user.id).options(*load)).all()
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.organisation_id == user.organisation_id,
                                    AuditEvent.object_type == "User", AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(10)
    ).all()
    return UserRelations([(c, r) for c, r in cohorts], list(supervisors), list(supervisees), list(events))


def all_sites(organisation_id: int) -> list[Site]:
    return list(db.session.scalars(sa.select(Site).where(Site.organisation_id == organisation_id).order_by(Site.name)))


def active_sites(organisation_id: int, include_id: int | None = None) -> list[Site]:
    """Sites that may be chosen in a form (plus the one already chosen, even if now inactive)."""
    cond = Site.is_active.is_(True)
    if include_id:
        cond = sa.or_(cond, Site.id == include_id)
    return list(db.session.scalars(
        sa.select(Site).where(Site.organisation_id == organisation_id, cond).order_by(Site.name)))


def list_sites(organisation_id: int) -> list[tuple[Site, int, int]]:
    """Each site with how many active people and how many cohorts it has."""
    people = (sa.select(sa.func.count()).select_from(User)
              .where(User.site_id == Site.id, User.is_active_account.is_(True)).scalar_subquery())
    cohorts = sa.select(sa.func.count()).select_from(Cohort).where(Cohort.site_id == Site.id).scalar_subquery()
    rows = db.session.execute(
        sa.select(Site, people, cohorts).where(Site.organisation_id == organisation_id)
        .order_by(Site.is_active.desc(), Site.name))
    return [(site, n_people, n_cohorts) for site, n_people, n_cohorts in rows]


def list_cohorts(organisation_id: int, status: str = "") -> list[Cohort]:
    stmt = sa.select(Cohort).where(Cohort.organisation_id == organisation_id).options(selectinload(Cohort.site))
    if status in {s.value for s in CohortStatus}:
        stmt = stmt.where(Cohort.status == CohortStatus(status))
    return list(db.session.scalars(stmt.order_by(Cohort.status == CohortStatus.ARCHIVED,
                                                 Cohort.starts_on.desc(), Cohort.name)))


def cohort_members(cohort: Cohort) -> dict[CohortRole, list[CohortMember]]:
    grouped: dict[CohortRole, list[CohortMember]] = {role: [] for role in COHORT_ROLE_ORDER}
    rows = db.session.scalars(
        sa.select(CohortMember).join(User, User.id == CohortMember.user_id)
        .where(CohortMember.cohort_id == cohort.id)
        .options(selectinload(CohortMember.user).selectinload(User.site)).order_by(User.full_name))
    for member in rows:
        grouped[member.role].append(member)
    return grouped



@dataclass(frozen=True)
class Candidate:
    id: int
    full_name: str
    username: str
    site: str | None


def member_candidates(cohort: Cohort, role: CohortRole, search: str = "", limit: int = 20) -> tuple[list[Candidate], bool]:
    """Up to `limit` active people of the organisation with the matching role, not yet in this cohort role,
    whose name or username contains `search`; and whether more match (limit=0: only whether anyone does)."""
    already = sa.select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id, CohortMember.role == role)
    with_role = sa.select(RoleAssignment.user_id).where(RoleAssignment.organisation_id == cohort.organisation_id,
                                                        RoleAssignment.role == ORG_ROLE_FOR[role])
    stmt = (sa.select(User.id, User.full_name, User.username, Site.name).outerjoin(Site, Site.id == User.site_id)
            .where(User.organisation_id == cohort.organisation_id, User.is_active_account.is_(True),
                   User.id.in_(with_role), User.id.not_in(already)))
    if search:
        stmt = stmt.where(sa.or_(User.full_name.icontains(search, autoescape=True),
                                 User.username.icontains(search, autoescape=True)))
    if limit:
        stmt = stmt.order_by(User.full_name, User.id)
    rows = db.session.execute(stmt.limit(limit + 1)).all()
    return [Candidate(*row) for row in rows[:limit]], len(rows) > limit


def active_assignments(cohort: Cohort) -> dict[int, list[SupervisorAssignment]]:
    """The cohort's open supervision links, by trainee id."""
    by_trainee: dict[int, list[SupervisorAssignment]] = {}
    for assignment in db.session.scalars(
            sa.select(SupervisorAssignment).where(SupervisorAssignment.cohort_id == cohort.id,
                                                  SupervisorAssignment.ended_at.is_(None))
            .options(selectinload(SupervisorAssignment.supervisor)).order_by(SupervisorAssignment.id)):
        by_trainee.setdefault(assignment.trainee_id, []).append(assignment)
    return by_trainee


def recent_imports(organisation_id: int, limit: int = 10) -> list[UserImport]:
    return list(db.session.scalars(
        sa.select(UserImport).where(UserImport.organisation_id == organisation_id)
        .options(selectinload(UserImport.created_by))
        .order_by(UserImport.created_at.desc(), UserImport.id.desc()).limit(limit)))


def audit_page(organisation_id: int, action: str, actor: str, page: int) -> Pagination:
    stmt = sa.select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if actor:
        stmt = stmt.where(AuditEvent.actor_id.in_(
            sa.select(User.id).where(User.username.icontains(actor.strip(), autoescape=True))))
    stmt = stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    return db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False, count=True)


def audit_actions(organisation_id: int) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.organisation_id == organisation_id)
                                   .distinct().order_by(AuditEvent.action)))


_NAMED = {"User": (User, User.username), "Site": (Site, Site.name), "Cohort": (Cohort, Cohort.name)}


def audit_context(organisation_id: int, events: list[AuditEvent]) -> tuple[dict[int, str], dict[tuple[str, str], str]]:
    """Usernames of the actors and readable names of the objects on one page of the log."""
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actors = dict(db.session.execute(sa.select(User.id, User.username).where(User.id.in_(actor_ids))).all()) if actor_ids else {}
    names: dict[tuple[str, str], str] = {}
    for type_name, (model, column) in _NAMED.items():
        ids = {int(e.object_id) for e in events if e.object_type == type_name and (e.object_id or "").isdigit()}
        if ids:
            for obj_id, label in db.session.execute(sa.select(model.id, column).where(
                    model.id.in_(ids), model.organisation_id == organisation_id)):
                names[(type_name, str(obj_id))] = label
    return actors, names


def _compact(value: Any, limit: int = 80) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def audit_changes(event: AuditEvent) -> list[tuple[str, str | None, str | None]]:
    """(field, before, after) for display; a side is None when the event did not record it."""
    before, after = event.before or {}, event.after or {}
    keys = list(before) + [k for k in after if k not in before]
    return [(key, _compact(before[key]) if key in before else None, _compact(after[key]) if key in after else None)
            for key in keys]
