"""Fixtures for the quiz attempt tests: the fixture pack's quizzes and the demo-knowledge bank, synced."""
from __future__ import annotations

from pathlib import Path

import pytest

FIXTURE_BANKS = Path(__file__).resolve().parent / "fixtures" / "quizzes"


def sync_fixture_banks() -> None:
    from app.quizzes.bank_sync import load_bank_file, sync_bank

    for path in sorted(FIXTURE_BANKS.glob("*.gift")):
        bank, problems = load_bank_file(path)
        assert bank is not None, problems
        sync_bank(bank)


def fixture_quiz(course, slug: str = "pre-test"):
    from app.extensions import db
    from app.quizzes.models import Quiz

    return db.session.scalar(db.select(Quiz).where(Quiz.course_id == course.id, Quiz.slug == slug))


@pytest.fixture
def quizzing(learning):
    """The `learning` world (a trainee studying the demo course in Spanish) with the banks synced."""
    sync_fixture_banks()
    return {**learning, "pre_test": fixture_quiz(learning["course"]),
            "check": fixture_quiz(learning["course"], "practice-check")}
