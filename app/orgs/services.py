"""Organisation rules: people and roles, sites, cohorts and supervision. Services flush, never commit."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from app.auth import services as accounts
from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.i18n import _
from app.extensions import db
from app.orgs.queries import ORG_ROLE_FOR, cohort_members
from app.orgs.models import (
    Cohort,
    CohortMember,
    CohortRole,
    CohortStatus,
    Role,
    RoleAssignment,
    Site,
    SupervisorAssignment,
)

LANGUAGES = ("es", "en")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 ().-]{5,32}$")


class OrgError(Exception):
    """A rule refused the change. The message is safe to show; `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# -- people ----------------------------------------------------------------------------------

@dataclass
class UserData:
    username: str
    full_name: str
    email: str | None = None
    phone: str | None = None
    site_id: int | None = None
    preferred_language: str = "es"
    roles: set[Role] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.username = (self.username or "").strip().lower()
        self.full_name = (self.full_name or "").strip()
        self.email = (self.email or "").strip().lower() or None
        self.phone = (self.phone or "").strip() or None


def username_taken(username: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(User.id).where(User.username == username.strip().lower())
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def email_taken(email: str, exclude_id: int | None = None) -> bool:
    stmt = sa.select(User.id).where(User.email == email.strip().lower())
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _check_site(organisation_id: int, site_id: int | None, current_site_id: int | None = None) -> None:
    if site_id is None or site_id == current_site_id:
        return
    site = db.session.get(Site, site_id)
    if site is None or site.organisation_id != organisation_id or not site.is_active:
        raise OrgError(_("Choose one of the organisation's active sites."), "site_id")


def _check_user_data(organisation_id: int, data: UserData, user: User | None = None) -> None:
    exclude = user.id if user else None
    if not USERNAME_RE.match(data.username):
        raise OrgError(_("Use 2 to 64 letters, numbers, dots, hyphens or underscores, with no spaces."), "username")
    if username_taken(data.username, exclude):
        raise OrgError(_("This username is already taken. Choose another one."), "username")
    if not data.full_name or len(data.full_name) > 200:
        raise OrgError(_("Enter the person's full name."), "full_name")
    if data.email is not None:
        if not EMAIL_RE.match(data.email) or len(data.email) > 254:
            raise OrgError(_("Enter an email address like name@example.org."), "email")
        if email_taken(data.email, exclude):
            raise OrgError(_("Another account already uses this email address."), "email")
    if data.phone is not None and not PHONE_RE.match(data.phone):
        raise OrgError(_("Use only numbers, spaces and + ( ) - ."), "phone")
    if data.preferred_language not in LANGUAGES:
        raise OrgError(_("Choose Spanish or English."), "preferred_language")
    _check_site(organisation_id, data.site_id, user.site_id if user else None)


def _role_names(roles: set[Role]) -> list[str]:
    return sorted(role.value for role in roles)


def _set_roles(user: User, roles: set[Role]) -> None:
    org_id = user.organisation_id
    for assignment in list(user.role_assignments):
        if assignment.organisation_id == org_id and assignment.role not in roles:
            user.role_assignments.remove(assignment)
    for role in roles - user.roles_in(org_id):
        user.role_assignments.append(RoleAssignment(organisation_id=org_id, role=role))


def create_user(organisation_id: int, data: UserData, *, password: str | None = None,
                import_id: int | None = None) -> User:
    """Create an account in the organisation. Without a password the person needs a reset code to sign in."""
    _check_user_data(organisation_id, data)
    user = User(
        organisation_id=organisation_id,
        username=data.username,
        full_name=data.full_name,
        email=data.email,
        phone=data.phone,
        site_id=data.site_id,
        preferred_language=data.preferred_language,
    )
    db.session.add(user)
    db.session.flush()
    _set_roles(user, data.roles)
    if password:
        accounts.set_password(user, password)
    after: dict[str, Any] = {
        "username": user.username, "full_name": user.full_name, "email": user.email, "phone": user.phone,
        "site_id": user.site_id, "language": user.preferred_language, "roles": _role_names(data.roles),
    }
    if import_id is not None:
        after["import_id"] = import_id
    audit.record("user.created", user, after=after)
    db.session.flush()
    return user


_EDITABLE = ("username", "full_name", "email", "phone", "site_id", "preferred_language")


def update_user(user: User, data: UserData, actor: User) -> None:
    """Change a person's details and roles; field changes and role changes are audited separately."""
    _check_user_data(user.organisation_id, data, user)
    old_roles = user.roles
    if user.id == actor.id and Role.ADMIN in old_roles and Role.ADMIN not in data.roles:
        raise OrgError(_("You cannot remove your own administrator role. Ask another administrator."), "roles")
    before, after = {}, {}
    for name in _EDITABLE:
        old, new = getattr(user, name), getattr(data, name)
        if old != new:
            before[name], after[name] = old, new
            setattr(user, name, new)
    if after:
        audit.record("user.updated", user, before=before, after=after)
    if old_roles != data.roles:
        _set_roles(user, data.roles)
        audit.record("user.roles_changed", user, before={"roles": _role_names(old_roles)},
                     after={"roles": _role_names(data.roles)})
    db.session.flush()


def deactivate(user: User, actor: User) -> None:
    """Switch the account off and end its sessions at once; its history stays."""
    if user.id == actor.id:
        raise OrgError(_("You cannot deactivate your own account."))
    if not user.is_active_account:
        raise OrgError(_("This account is already deactivated."))
    accounts.deactivate_user(user)


def reactivate(user: User) -> None:
    if user.is_active_account:
        raise OrgError(_("This account is already active."))
    accounts.reactivate_user(user)


def issue_reset_code(target: User, actor: User) -> str:
    """A one-time code the actor hands over in person; shown once, stored only as a hash."""
    if not target.is_active_account:
        raise OrgError(_("This account is deactivated. It must be reactivated before a reset code can be given."))
    return accounts.issue_reset_code(target, actor)


# -- sites -----------------------------------------------------------------------------------

def _check_site_name(organisation_id: int, name: str, exclude_id: int | None = None) -> None:
    stmt = sa.select(Site.id).where(Site.organisation_id == organisation_id,
                                    sa.func.lower(Site.name) == name.strip().lower())
    if exclude_id is not None:
        stmt = stmt.where(Site.id != exclude_id)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise OrgError(_("There is already a site with this name."), "name")


def create_site(organisation_id: int, name: str, region: str | None, is_active: bool) -> Site:
    _check_site_name(organisation_id, name)
    site = Site(organisation_id=organisation_id, name=name.strip(), region=region or None, is_active=is_active)
    db.session.add(site)
    db.session.flush()
    audit.record("site.created", site, after={"name": site.name, "region": site.region, "is_active": is_active})
    return site


def update_site(site: Site, name: str, region: str | None, is_active: bool) -> None:
    _check_site_name(site.organisation_id, name, site.id)
    before, after = {}, {}
    for attr, new in (("name", name.strip()), ("region", region or None), ("is_active", is_active)):
        if getattr(site, attr) != new:
            before[attr], after[attr] = getattr(site, attr), new
            setattr(site, attr, new)
    if after:
        audit.record("site.updated", site, before=before, after=after)
    db.session.flush()


# -- cohorts ---------------------------------------------------------------------------------

@dataclass
class CohortData:
    name: str
    site_id: int | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    status: CohortStatus = CohortStatus.PLANNED


def _check_cohort(organisation_id: int, data: CohortData, cohort: Cohort | None = None) -> None:
    stmt = sa.select(Cohort.id).where(Cohort.organisation_id == organisation_id,
                                      sa.func.lower(Cohort.name) == data.name.strip().lower())
    if cohort is not None:
        stmt = stmt.where(Cohort.id != cohort.id)
    if db.session.scalar(stmt.limit(1)) is not None:
        raise OrgError(_("There is already a cohort with this name."), "name")
    if data.starts_on and data.ends_on and data.ends_on < data.starts_on:
        raise OrgError(_("The end date cannot be before the start date."), "ends_on")
    _check_site(organisation_id, data.site_id, cohort.site_id if cohort else None)


def _cohort_state(cohort: Cohort) -> dict[str, Any]:
    return {"name": cohort.name, "site_id": cohort.site_id, "status": cohort.status.value,
            "starts_on": cohort.starts_on.isoformat() if cohort.starts_on else None,
            "ends_on": cohort.ends_on.isoformat() if cohort.ends_on else None}


def create_cohort(organisation_id: int, data: CohortData, creator: User) -> Cohort:
    """A new training group; a creator who is a trainer becomes one of its trainers."""
    _check_cohort(organisation_id, data)
    cohort = Cohort(organisation_id=organisation_id, name=data.name.strip(), site_id=data.site_id,
                    starts_on=data.starts_on, ends_on=data.ends_on, status=data.status)
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort.created", cohort, after=_cohort_state(cohort))
    if Role.TRAINER in creator.roles_in(organisation_id):
        add_members(cohort, CohortRole.TRAINER, [creator])
    return cohort


def update_cohort(cohort: Cohort, data: CohortData) -> None:
    _check_cohort(cohort.organisation_id, data, cohort)
    before = _cohort_state(cohort)
    cohort.name, cohort.site_id, cohort.status = data.name.strip(), data.site_id, data.status
    cohort.starts_on, cohort.ends_on = data.starts_on, data.ends_on
    after = _cohort_state(cohort)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        audit.record("cohort.updated", cohort, before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    db.session.flush()


def add_members(cohort: Cohort, role: CohortRole, users: list[User]) -> int:
    """Add people in one cohort role; all or nothing. Each must hold the matching organisation role."""
    needed = ORG_ROLE_FOR[role]
    for user in users:
        if user.organisation_id != cohort.organisation_id or needed not in user.roles_in(cohort.organisation_id):
            raise OrgError(_("%(name)s does not have the organisation role needed for this.", name=user.full_name))
        if not user.is_active_account:
            raise OrgError(_("%(name)s is deactivated.", name=user.full_name))
    existing = set(db.session.scalars(sa.select(CohortMember.user_id).where(
        CohortMember.cohort_id == cohort.id, CohortMember.role == role)))
    added = 0
    for user in users:
        if user.id in existing:
            continue
        existing.add(user.id)
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=role))
        audit.record("cohort.member_added", cohort,
                     after={"user_id": user.id, "username": user.username, "role": role.value})
        added += 1
    db.session.flush()
    return added


def remove_member(member: CohortMember) -> int:
    """Take someone out of a cohort role; their supervision links in this cohort end with it."""
    cohort = member.cohort
    link = SupervisorAssignment.trainee_id if member.role == CohortRole.TRAINEE else SupervisorAssignment.supervisor_id
    ended = 0
    if member.role in (CohortRole.TRAINEE, CohortRole.SUPERVISOR):
        for assignment in db.session.scalars(sa.select(SupervisorAssignment).where(
                SupervisorAssignment.cohort_id == cohort.id, link == member.user_id,
                SupervisorAssignment.ended_at.is_(None))).all():
            end_assignment(assignment)
            ended += 1
    audit.record("cohort.member_removed", cohort,
                 before={"user_id": member.user_id, "username": member.user.username, "role": member.role.value})
    db.session.delete(member)
    db.session.flush()
    return ended


def _assignment_state(a: SupervisorAssignment) -> dict[str, Any]:
    return {"supervisor": a.supervisor.username, "trainee": a.trainee.username, "cohort_id": a.cohort_id}


def assign_supervisor(cohort: Cohort, supervisor: User, trainees: list[User]) -> int:
    """Link a supervisor of the cohort to some of its trainees (an earlier ended link is reopened)."""
    members = cohort_members(cohort)
    supervisor_ids = {m.user_id for m in members[CohortRole.SUPERVISOR]}
    trainee_ids = {m.user_id for m in members[CohortRole.TRAINEE]}
    if supervisor.id not in supervisor_ids or Role.SUPERVISOR not in supervisor.roles_in(cohort.organisation_id):
        raise OrgError(_("Choose one of this cohort's supervisors."), "supervisor_id")
    if any(t.id not in trainee_ids for t in trainees):
        raise OrgError(_("Choose trainees of this cohort."), "trainee_ids")
    existing = {a.trainee_id: a for a in db.session.scalars(sa.select(SupervisorAssignment).where(
        SupervisorAssignment.cohort_id == cohort.id, SupervisorAssignment.supervisor_id == supervisor.id))}
    assigned = 0
    for trainee in trainees:
        row = existing.get(trainee.id)
        if row is not None and row.ended_at is None:
            continue
        if row is None:
            row = SupervisorAssignment(organisation_id=cohort.organisation_id, supervisor=supervisor,
                                       trainee=trainee, cohort_id=cohort.id)
            db.session.add(row)
        else:
            row.ended_at = None
        db.session.flush()
        audit.record("supervision.assigned", row, after=_assignment_state(row))
        assigned += 1
    db.session.flush()
    return assigned


def end_assignment(assignment: SupervisorAssignment) -> None:
    if assignment.ended_at is not None:
        raise OrgError(_("This supervision has already ended."))
    assignment.ended_at = utcnow()
    audit.record("supervision.ended", assignment, before=_assignment_state(assignment),
                 after={"ended_at": assignment.ended_at.isoformat()})
    db.session.flush()
