"""Fixtures for the course tests: the small valid pack in tests/fixtures/packs, synced and given to a cohort."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE_PACKS = Path(__file__).resolve().parent / "fixtures" / "packs"
DEMO_PACK = FIXTURE_PACKS / "demo-course"


def sync_fixture_pack(root: Path = DEMO_PACK):
    """Load and sync one pack (errors allowed: the XSS tests sync packs the validator rejects)."""
    from app.courses.models import Course
    from app.courses.packs import load_pack
    from app.courses.sync import sync_pack
    from app.extensions import db

    pack, _ = load_pack(root)
    assert pack is not None
    sync_pack(pack)
    return db.session.scalar(db.select(Course).where(Course.slug == pack.slug))


@pytest.fixture
def content_path(app, monkeypatch):
    monkeypatch.setitem(app.config, "CONTENT_PATH", str(FIXTURE_PACKS))
    return FIXTURE_PACKS


@pytest.fixture
def demo_course(db_session, content_path):
    return sync_fixture_pack()


@pytest.fixture
def pack_copy(tmp_path):
    """A writable copy of the valid pack, to break or edit."""
    target = tmp_path / "demo-course"
    shutil.copytree(DEMO_PACK, target)
    shutil.copytree(FIXTURE_PACKS.parent / "quizzes", tmp_path / "quizzes")  # the banks its quizzes name
    return target


@pytest.fixture
def learning(make_user, make_cohort, demo_course):
    """A trainee in a cohort given the demo course in Spanish, with the cohort's trainer and supervisor."""
    from app.courses.services import give_course

    people = {"trainee": make_user("trainee"), "trainer": make_user("trainer"), "supervisor": make_user("supervisor")}
    cohort = make_cohort(members={role: [person] for role, person in people.items()})
    give_course(cohort, demo_course, "es")
    return {"course": demo_course, "cohort": cohort, **people}
