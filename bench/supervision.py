"""The supervisor's pages at scale: one supervisor of 40 trainees with two years of supervision history.

    .venv/bin/python bench/supervision.py [--trainees 40] [--years 2] [--requests 30] [--database-url URL]

Builds a throwaway database (SQLite in a temporary folder by default; a PostgreSQL URL must name a
database made for benchmarking: its tables are dropped and created), then signs in as the supervisor
in-process (Flask test client) and times GET /supervision/supervisees and GET / (the home panel).
Prints the median and p95 latency and the number of SQL statements per page: the statement count
must not grow with the number of trainees (compare --trainees 10 and --trainees 40).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(trainees: int, years: int) -> dict:
    """The organisation, the supervisor, the trainees and their history, inserted in bulk."""
    from app.auth.models import User
    from app.auth.passwords import hash_password
    from app.core.db import utcnow
    from app.extensions import db
    from app.orgs.models import Organisation, Role, RoleAssignment, Site, SupervisorAssignment
    from app.supervision.models import (ActionItem, ActionStatus, Modality, RiskLevel, SessionAttendee, SessionFormat,
                                        SessionStatus, SupervisionCase, SupervisionSession)

    random.seed(7)
    org = Organisation(slug="bench", name="Bench")
    db.session.add(org)
    db.session.flush()
    site = Site(organisation_id=org.id, name="Clínica")
    db.session.add(site)
    db.session.flush()
    password = hash_password("bench-password-123")
    supervisor = User(organisation_id=org.id, username="bench.supervisor", full_name="Supervisora", site_id=site.id,
                      password_hash=password)
    db.session.add(supervisor)
    db.session.flush()
    db.session.add(RoleAssignment(user_id=supervisor.id, organisation_id=org.id, role=Role.SUPERVISOR))
    now = utcnow()
    people = []
    for n in range(trainees):
        person = User(organisation_id=org.id, username=f"bench.trainee{n}", full_name=f"Trainee {n:03d}",
                      site_id=site.id, password_hash=password)
        db.session.add(person)
        people.append(person)
    db.session.flush()
    for person in people:
        db.session.add(RoleAssignment(user_id=person.id, organisation_id=org.id, role=Role.TRAINEE))
        db.session.add(SupervisorAssignment(organisation_id=org.id, supervisor_id=supervisor.id, trainee_id=person.id,
                                            created_at=now - timedelta(days=365 * years)))
    counts = {"sessions": 0, "cases": 0, "actions": 0}
    for week in range(52 * years):
        started = now - timedelta(days=7 * week + 1)
        groups = [people[i:i + 5] for i in range(0, len(people), 5)]
        plans = [(SessionFormat.GROUP, g) for g in groups] + [(SessionFormat.INDIVIDUAL, [random.choice(people)])]
        for kind, attendees in plans:
            session = SupervisionSession(organisation_id=org.id, supervisor_id=supervisor.id, site_id=site.id,
                                         format=kind, modality=Modality.IN_PERSON, started_at=started,
                                         duration_minutes=90 if kind == SessionFormat.GROUP else 45,
                                         topics=["case_review"], notes="Notas.", status=SessionStatus.SUBMITTED,
                                         submitted_at=started)
            db.session.add(session)
            db.session.flush()
            for person in attendees:
                db.session.add(SessionAttendee(session_id=session.id, supervisee_id=person.id,
                                               wellbeing_score=random.randint(3, 10), acknowledged_at=started))
            for position, person in enumerate(attendees[:2]):
                db.session.add(SupervisionCase(session_id=session.id, supervisee_id=person.id, position=position,
                                               client_code=f"B-{session.id}-{position}", summary="Resumen.",
                                               risk_level=random.choice(list(RiskLevel))))
                counts["cases"] += 1
            db.session.add(ActionItem(organisation_id=org.id, session_id=session.id, owner_id=attendees[0].id,
                                      description="Practicar.", due_on=(started + timedelta(days=7)).date(),
                                      status=ActionStatus.DONE if week > 2 else ActionStatus.OPEN))
            counts["actions"] += 1
            counts["sessions"] += 1
        if week % 10 == 0:
            db.session.flush()
    db.session.commit()
    return counts


def measure(client, path: str, requests: int) -> tuple[float, float, int]:
    from sqlalchemy import event

    from app.extensions import db

    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    for _ in range(3):
        assert client.get(path).status_code == 200, path  # warm up (and send any lazy reminders once)
    event.listen(db.engine, "before_cursor_execute", listener)
    statements.clear()
    client.get(path)
    per_page = len(statements)
    event.remove(db.engine, "before_cursor_execute", listener)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], per_page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=40)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="acompana-bench-supervision-"))
    os.environ.setdefault("ACOMPANA_INSTANCE", str(tmp))
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    from app import create_app
    from app.extensions import db

    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        counts = build(args.trainees, args.years)
        print(f"data: {args.trainees} trainees, {args.years} years: {counts['sessions']} sessions, "
              f"{counts['cases']} cases, {counts['actions']} action items ({time.perf_counter() - started:.1f} s)")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post("/login", data={"username": "bench.supervisor", "password": "bench-password-123"})
    assert response.status_code == 302, response.status_code
    print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'SQL statements':>15}")
    for path in ("/supervision/supervisees", "/"):
        with app.app_context():
            median, p95, statements = measure(client, path, args.requests)
        print(f"{path:32} {median:10.1f} {p95:8.1f} {statements:15d}")
    print(f"database: {url.split(':')[0]}")


if __name__ == "__main__":
    main()
