"""An organisation's own settings for a quiz, set by its trainers in the browser (audited).

Pack quizzes are shared by every organisation, so a trainer's change is kept as the
organisation's override (``QuizOverride``) and never touches the pack's defaults; a later
``flask content sync`` leaves it alone.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.extensions import db
from app.quizzes.attempts import rules_for
from app.quizzes.models import FeedbackTiming, GradingMethod, Quiz, QuizOverride

SETTINGS = ("is_published", "pass_mark", "max_attempts", "grading_method", "time_limit_minutes", "feedback_timing",
            "shuffle_questions", "shuffle_answers", "opens_at", "closes_at")


@dataclass(frozen=True)
class QuizSettings:
    is_published: bool
    pass_mark: Decimal
    max_attempts: int | None
    grading_method: GradingMethod
    time_limit_minutes: int | None
    feedback_timing: FeedbackTiming
    shuffle_questions: bool
    shuffle_answers: bool
    opens_at: datetime | None
    closes_at: datetime | None


def current_settings(quiz: Quiz, organisation_id: int) -> QuizSettings:
    rules = rules_for(quiz, organisation_id)
    return QuizSettings(**{name: getattr(rules, name) for name in SETTINGS})


def _state(settings: QuizSettings) -> dict:
    return {name: (value.isoformat() if isinstance(value, datetime) else
                   str(value) if isinstance(value, Decimal) else value)
            for name, value in asdict(settings).items()}


def update_quiz_settings(quiz: Quiz, organisation_id: int, settings: QuizSettings, actor: User) -> bool:
    """Keep these settings for the organisation; returns False when nothing changed. Flushes."""
    before = current_settings(quiz, organisation_id)
    if before == settings:
        return False
    override = db.session.scalar(db.select(QuizOverride).where(
        QuizOverride.quiz_id == quiz.id, QuizOverride.organisation_id == organisation_id))
    if override is None:
        override = QuizOverride(quiz_id=quiz.id, organisation_id=organisation_id,
                                questions_per_page=quiz.questions_per_page)
        db.session.add(override)
    for name, value in asdict(settings).items():
        setattr(override, name, value)
    override.updated_by_id = actor.id
    override.updated_at = utcnow()
    db.session.flush()
    audit.record("quiz.settings_changed", quiz, organisation_id=organisation_id, before=_state(before),
                 after=_state(settings), actor_id=actor.id)
    return True
