"""The demo practice log has cases at every stage, created once."""
from __future__ import annotations

import sqlalchemy as sa


def test_demo_practice_covers_every_stage_once(app, db_session):
    from app.auth.models import User
    from app.demo import seed_demo
    from app.practice.models import EntryStatus, PracticeEntry
    from app.practice.queries import my_cases, verified_completed_cases, waiting_for_verification

    seed_demo()
    users = {u.username: u for u in db_session.scalars(sa.select(User))}
    statuses = list(db_session.scalars(sa.select(PracticeEntry.status)))
    assert {EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.RETURNED, EntryStatus.VERIFIED} <= set(statuses)
    assert verified_completed_cases(users["rosa.vazquez"].id, "pm_plus") == 1
    assert verified_completed_cases(users["rosa.vazquez"].id, "pfa") == 1
    [juana] = my_cases(users["juana.diaz"])
    assert juana.is_completed and not juana.is_verified_completed and juana.has_risk_flag
    assert waiting_for_verification(users["supervisor"]) == 3
    assert not any(p.is_completed for p in my_cases(users["trainee"]))

    seed_demo()
    assert len(list(db_session.scalars(sa.select(PracticeEntry.status)))) == len(statuses)
