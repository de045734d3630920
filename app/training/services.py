"""Changes to training days and attendance. Services flush, audit and never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any, Mapping

import sqlalchemy as sa

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.signals import trainees_progressed
from app.core.i18n import _l
from app.extensions import db
from app.orgs.models import Cohort
from app.training import queries
from app.training.models import Attendance, AttendanceStatus, TrainingDay


class TrainingError(Exception):
    """A rule refused the change; `message` is shown to the person."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message  # lazy: translated when shown, so services also run outside requests
        self.field = field


@dataclass(frozen=True)
class DayData:
    held_on: date
    place: str
    topic: str
    starts_at: time | None = None
    facilitator_id: int | None = None
    facilitator_name: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Mark:
    """What the sheet says about one trainee."""

    status: AttendanceStatus
    note: str | None = None


@dataclass
class SheetResult:
    recorded: int = 0
    changed: int = 0
    unchanged: int = 0


def _day_state(day: TrainingDay) -> dict:
    return {"held_on": day.held_on.isoformat(), "starts_at": day.starts_at.strftime("%H:%M") if day.starts_at else None,
            "place": day.place, "topic": day.topic, "facilitator_id": day.facilitator_id,
            "facilitator_name": day.facilitator_name, "notes": day.notes}


def _apply(day: TrainingDay, cohort: Cohort, data: DayData) -> None:
    if data.facilitator_id:
        facilitator = db.session.get(User, data.facilitator_id)
        if facilitator is None or facilitator.organisation_id != cohort.organisation_id:
            raise TrainingError(_l("Choose a facilitator from your organisation."), field="facilitator_id")
    day.held_on = data.held_on
    day.starts_at = data.starts_at
    day.place = data.place.strip()
    day.topic = data.topic.strip()
    day.facilitator_id = data.facilitator_id or None
    day.facilitator_name = None if data.facilitator_id else ((data.facilitator_name or "").strip() or None)
    day.notes = (data.notes or "").strip() or None


def create_training_day(cohort: Cohort, data: DayData, actor: User | None = None) -> TrainingDay:
    day = TrainingDay(cohort_id=cohort.id, cohort=cohort)
    _apply(day, cohort, data)
    db.session.add(day)
    db.session.flush()
    audit.record("training_day.created", day, after=_day_state(day), actor_id=actor.id if actor else None)
    return day


def update_training_day(day: TrainingDay, data: DayData, actor: User | None = None) -> bool:
    """Save the changes; audit only the fields that changed. True if anything changed."""
    before = _day_state(day)
    _apply(day, day.cohort, data)
    after = _day_state(day)
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return False
    db.session.flush()
    audit.record("training_day.updated", day, before={k: before[k] for k in changed},
                 after={k: after[k] for k in changed}, actor_id=actor.id if actor else None)
    return True


def _mark_state(row: Attendance) -> dict:
    return {"trainee_id": row.trainee_id, "status": row.status.value, "note": row.note}


def record_attendance(day: TrainingDay, marks: Mapping[int, Mark], actor: User, today: date | None = None) -> SheetResult:
    """Record the sheet: one row per trainee and day, created or updated in place.

    Trainees without a mark stay as they were. Sending the same sheet twice changes
    nothing the second time (no duplicate rows, no duplicate audit events).
    """
    if day.held_on > (today or queries.local_today()):
        raise TrainingError(_l("Attendance can be taken from the day of the training on."))
    trainees = {t.id for t in queries.cohort_trainees(day.cohort)}
    if set(marks) - trainees:
        raise TrainingError(_l("Some people on the sheet are not trainees of this cohort."))
    # Lock the day: two sheets sent at once for the same day are applied one after the other.
    db.session.execute(sa.select(TrainingDay.id).where(TrainingDay.id == day.id).with_for_update())
    existing = {row.trainee_id: row for row in db.session.scalars(
        sa.select(Attendance).where(Attendance.training_day_id == day.id)
        .execution_options(populate_existing=True))}
    result = SheetResult()
    for trainee_id, mark in marks.items():
        note = (mark.note or "").strip() or None
        row = existing.get(trainee_id)
        if row is None:
            row = Attendance(training_day_id=day.id, trainee_id=trainee_id, status=mark.status, note=note,
                             recorded_by_id=actor.id, recorded_at=utcnow())
            db.session.add(row)
            db.session.flush()
            audit.record("attendance.recorded", row, organisation_id=day.organisation_id,
                         after=_mark_state(row), actor_id=actor.id)
            result.recorded += 1
        elif (row.status, row.note) != (mark.status, note):
            before = _mark_state(row)
            row.status, row.note = mark.status, note
            row.recorded_by_id, row.recorded_at = actor.id, utcnow()
            db.session.flush()
            audit.record("attendance.changed", row, organisation_id=day.organisation_id,
                         before=before, after=_mark_state(row), actor_id=actor.id)
            result.changed += 1
        else:
            result.unchanged += 1
    if result.recorded or result.changed:
        trainees_progressed(marks)
    return result
