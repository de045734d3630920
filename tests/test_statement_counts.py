"""The SQL statements a main page runs do not grow with the data behind it: no query per row (N+1).

Two data sets of bench/generate.py share the test's rolled-back transaction: a small one, then one
ten times larger beside it. Each page is loaded as the known accounts of each data set see it
(once to warm the caches, once counted, with the page cache emptied in between so that the page is
rendered again) and the two counts must be equal. The larger set really
gives those accounts more to show: more supervisees, cohorts, members and certificates.
"""
from __future__ import annotations

import re
from collections import Counter

import sqlalchemy as sa
from sqlalchemy import event

from bench.generate import DEMO_PASSWORD, generate, known_pages

SMALL, LARGE = 0.0004, 0.004
PAGES = {"trainee home", "lesson", "quiz page", "rating page", "supervisor home", "trainer home", "admin home",
         "cohort page", "cohort dashboard", "organisation dashboard", "verification page"}
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _shape(statement: str) -> str:
    """A statement without what varies between loads (savepoint names, the length of IN lists)."""
    statement = re.sub(r"sa_savepoint_\d+", "sa_savepoint_N", " ".join(statement.split()))
    return re.sub(r"\((?:\?|%\(\w+\)s)(?:, (?:\?|%\(\w+\)s))*\)", "(...)", statement)


def signed_in(app, username: str | None):
    client = app.test_client()
    if username:
        token = _TOKEN.search(client.get("/login").get_data(as_text=True)).group(1)
        answer = client.post("/login", data={"csrf_token": token, "username": username, "password": DEMO_PASSWORD})
        assert answer.status_code == 302, f"{username} could not sign in"
    return client


def page_statements(app, known: dict) -> dict[str, list[str]]:
    """The SQL each page ran on its second load (the first fills the caches), by page name."""
    from app.core import page_cache
    from app.extensions import db

    clients: dict[str | None, object] = {}
    found: dict[str, list[str]] = {}
    for name, username, path, expect in known_pages(known):
        client = clients.get(username) or clients.setdefault(username, signed_in(app, username))
        client.get(path)
        page_cache.clear(app)  # the statements of rendering the page, not of serving it from memory
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany, seen=seen):
            seen.append(_shape(statement))

        target = db.engine
        event.listen(target, "before_cursor_execute", record)
        try:
            response = client.get(path)
        finally:
            event.remove(target, "before_cursor_execute", record)
        assert response.status_code == 200, f"{name}: GET {path} answered {response.status_code}"
        assert expect is None or expect in response.get_data(as_text=True), f"{name}: not the expected page"
        found[name] = seen
    return found


def workload(db_session, known: dict) -> dict[str, int]:
    """How much the known accounts have to look at."""
    from app.auth.models import User
    from app.certificates.models import Certificate
    from app.orgs.models import CohortMember, CohortRole, SupervisorAssignment

    def user_id(role: str) -> int:
        return db_session.scalar(sa.select(User.id).where(User.username == known["accounts"][role]))

    def count(query) -> int:
        return db_session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))

    org = db_session.get(User, user_id("admin")).organisation_id
    return {
        "supervisees": count(sa.select(SupervisorAssignment.id).where(
            SupervisorAssignment.supervisor_id == user_id("supervisor"))),
        "trainer's cohorts": count(sa.select(CohortMember.id).where(
            CohortMember.user_id == user_id("trainer"), CohortMember.role == CohortRole.TRAINER)),
        "cohort's trainees": count(sa.select(CohortMember.id).where(
            CohortMember.cohort_id == known["cohort_id"], CohortMember.role == CohortRole.TRAINEE)),
        "organisation's certificates": count(sa.select(Certificate.id).where(Certificate.organisation_id == org)),
    }


def test_statements_per_page_do_not_grow_with_the_data(app, db_session):
    small = generate(db_session, SMALL, seed=11)
    small_counts = page_statements(app, small["known"])
    large = generate(db_session, LARGE, seed=12, tag="-large")
    large_counts = page_statements(app, large["known"])

    assert set(small_counts) == set(large_counts) == PAGES
    assert len(small_counts["supervisor home"]) > 5  # rendered, not served from the page cache
    before, after = workload(db_session, small["known"]), workload(db_session, large["known"])
    assert all(after[key] > before[key] for key in before), (before, after)

    grown = {}
    for name in sorted(PAGES):
        if len(small_counts[name]) != len(large_counts[name]):
            extra = Counter(large_counts[name]) - Counter(small_counts[name])
            repeated = [f"{n} x {sql[:200]}" for sql, n in extra.most_common(3)]
            grown[name] = (len(small_counts[name]), len(large_counts[name]), repeated)
    assert not grown, "statements per page grew with the data (small, large, extra statements): " + "; ".join(
        f"{name}: {small_n} -> {large_n} {extra}" for name, (small_n, large_n, extra) in grown.items())
