"""The demo's certification story, earned through the real rule: certified, expiring, revoked, eligible, blocked."""
from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import ROOT
from tests.courses_support import sync_fixture_pack


def test_demo_certificates_follow_the_rule(app, db_session):
    from app.auth.models import User
    from app.certificates import services
    from app.certificates.models import Certificate
    from app.competencies.cli import sync_tools
    from app.core.db import utcnow
    from app.demo import seed_demo
    from app.quizzes.cli import sync_bank_files

    sync_bank_files()
    sync_tools()
    sync_fixture_pack(ROOT / "modules" / "pm-plus")
    pfa = sync_fixture_pack(ROOT / "modules" / "pfa")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        seed_demo()
        certificates = {c.trainee.username: c for c in db_session.scalars(sa.select(Certificate))}
        assert set(certificates) == {"sofia.aguilar", "carlos.mendez", "guadalupe.ruiz"}
        assert all(c.pdf_path and c.credential for c in certificates.values())
        assert certificates["guadalupe.ruiz"].revoked_at is not None
        assert [c.trainee.username for c in services.expiring_soon(pfa_org(certificates))] == ["carlos.mendez"]
        assert 0 < (services._aware(certificates["carlos.mendez"].valid_until) - utcnow()).days < 30

        people = {u.username: u for u in db_session.scalars(sa.select(User))}
        assert services.path_state(people["jose.lopez"], pfa).can_be_issued
        one_short = services.path_state(people["teresa.moreno"], pfa)  # her last lesson certifies her
        assert [(c.key, c.evidence) for c in one_short.evaluation.unmet] == [("lessons", "9 of 10 lessons done.")]
        blocked = services.path_state(people["patricia.cruz"], pfa)
        assert {c.key for c in blocked.evaluation.unmet} == {"lessons", "attendance", "post_test", "competency"}
        seed_demo()  # a second run adds nothing
        assert db_session.scalar(sa.select(sa.func.count()).select_from(Certificate)) == 3


def test_reminder_steps():
    from datetime import timedelta

    from app.certificates.models import Certificate
    from app.certificates.services import reminder_step
    from app.core.db import utcnow

    now = utcnow()
    assert [reminder_step(Certificate(valid_until=now + timedelta(days=d)), now) for d in (90, 45, 20, 3, -1)] == [
        None, 60, 30, 7, None]


def pfa_org(certificates) -> int:
    return next(iter(certificates.values())).organisation_id
