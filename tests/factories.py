"""Factory fixtures: make_user(role="supervisor"), make_org(), make_cohort() and a login helper."""
from __future__ import annotations

import itertools
from functools import lru_cache

import pytest

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def _password_hash() -> str:
    from app.auth.passwords import hash_password

    return hash_password(PASSWORD)


@pytest.fixture
def make_org(db_session):
    from app.orgs.models import Organisation, Site

    def make(name: str | None = None, sites: int = 1) -> Organisation:
        n = next(_counter)
        org = Organisation(slug=f"org-{n}", name=name or f"Organisation {n}", country="MX")
        db_session.add(org)
        db_session.flush()
        for i in range(sites):
            db_session.add(Site(organisation_id=org.id, name=f"Site {n}.{i + 1}"))
        db_session.flush()
        return org

    return make


@pytest.fixture
def org(make_org):
    return make_org("Compañeros de prueba")


@pytest.fixture
def make_user(db_session, org):
    from app.auth.models import User
    from app.orgs.models import Role, RoleAssignment

    def make(role: str | list[str] | None = "trainee", organisation=None, username: str | None = None, **fields) -> User:
        organisation = organisation or org
        n = next(_counter)
        user = User(
            organisation_id=organisation.id,
            username=username or f"user{n}",
            full_name=fields.pop("full_name", f"Persona {n}"),
            preferred_language=fields.pop("preferred_language", "en"),
            password_hash=_password_hash(),
            **fields,
        )
        db_session.add(user)
        db_session.flush()
        roles = [] if role is None else [role] if isinstance(role, str) else role
        for r in roles:
            db_session.add(RoleAssignment(user_id=user.id, organisation_id=organisation.id, role=Role(r)))
        db_session.flush()
        db_session.refresh(user)
        return user

    return make


@pytest.fixture
def make_cohort(db_session, org):
    from app.orgs.models import Cohort, CohortMember, CohortRole, CohortStatus

    def make(organisation=None, members: dict | None = None, **fields) -> Cohort:
        organisation = organisation or org
        n = next(_counter)
        cohort = Cohort(organisation_id=organisation.id, name=fields.pop("name", f"Cohort {n}"),
                        status=fields.pop("status", CohortStatus.ACTIVE), **fields)
        db_session.add(cohort)
        db_session.flush()
        for role, users in (members or {}).items():
            for user in users:
                db_session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role=CohortRole(role)))
        db_session.flush()
        return cohort

    return make


@pytest.fixture
def assign_supervisor(db_session):
    from app.orgs.models import SupervisorAssignment

    def assign(supervisor, trainee, cohort=None) -> SupervisorAssignment:
        row = SupervisorAssignment(organisation_id=trainee.organisation_id, supervisor_id=supervisor.id,
                                   trainee_id=trainee.id, cohort_id=cohort.id if cohort else None)
        db_session.add(row)
        db_session.flush()
        return row

    return assign


@pytest.fixture
def login(client):
    from tests.conftest import post_form

    def do_login(user, password: str = PASSWORD, c=None):
        c = c or client
        response = post_form(c, "/login", {"username": user.username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return c

    return do_login


@pytest.fixture
def make_day(db_session):
    """A training day of a cohort, by default held yesterday (so attendance can be taken)."""
    from datetime import timedelta

    from app.training.models import TrainingDay
    from app.training.queries import local_today

    def make(cohort, days_from_today: int = -1, topic: str = "Helping skills and role plays") -> TrainingDay:
        day = TrainingDay(cohort_id=cohort.id, held_on=local_today() + timedelta(days=days_from_today),
                          place="Clínica Laguna del Cofre", topic=topic)
        db_session.add(day)
        db_session.flush()
        return day

    return make
