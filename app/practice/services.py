"""The rules of the practice log: client codes, what a submitted entry needs, who may change it when.

Services flush and audit; they never commit. Views commit once and send nothing before that.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.signals import trainees_progressed
from app.core.i18n import _l
from app.extensions import db
from app.practice.models import (
    DeliveryMode,
    EntryStatus,
    Intervention,
    PracticeCase,
    PracticeEntry,
    PracticeReview,
    PracticeRule,
    ReviewDecision,
    RiskFlag,
)
from app.supervision.deidentify import is_valid_client_code

NO_RISK = "none"


class PracticeError(Exception):
    """A rule was broken; ``errors`` maps a form field to what to fix."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(str(message) for message in errors.values()))
        self.errors = errors


class EntryLockedError(PracticeError):
    def __init__(self) -> None:
        super().__init__({"status": _l("This entry has been verified. Ask your supervisor to reopen it to change it.")})


@dataclass
class EntryData:
    client_code: str
    intervention: Intervention
    intervention_other: str | None = None
    session_number: int | None = None
    delivered_on: date | None = None
    duration_minutes: int | None = None
    mode: DeliveryMode | None = None
    risk_flags: list[str] = field(default_factory=list)  # RiskFlag values, or ["none"]
    risk_action: str | None = None
    outcome_before: int | None = None
    outcome_after: int | None = None
    custom_measure_name: str | None = None
    custom_measure_value: float | None = None
    notes: str | None = None


def _check_shape(data: EntryData) -> dict[str, str]:
    """Rules that hold for drafts too: a valid code and consistent optional fields."""
    errors: dict[str, str] = {}
    if not is_valid_client_code(data.client_code):
        errors["client_code"] = _l("Use a client code, never a name: letters and digits, at least one digit "
                                   "(for example CH-0123).")
    if set(data.risk_flags) - {NO_RISK, *RiskFlag}:
        errors["risk_flags"] = _l("Choose from the risks listed.")
    if NO_RISK in data.risk_flags and len(data.risk_flags) > 1:
        errors["risk_flags"] = _l("Choose “No risk seen” or the risks you saw, not both.")
    if bool(data.custom_measure_name) != (data.custom_measure_value is not None):
        errors["custom_measure_value"] = _l("Give both the name of the measure and its value, or neither.")
    return errors


def _check_complete(data: EntryData, case: PracticeCase, entry: PracticeEntry | None, today: date) -> dict[str, str]:
    """What a submitted entry needs beyond a draft."""
    errors: dict[str, str] = {}
    if data.intervention == Intervention.OTHER and not data.intervention_other:
        errors["intervention_other"] = _l("Say which intervention you delivered.")
    if data.session_number is None:
        errors["session_number"] = _l("Enter the session number.")
    elif _session_taken(case, data.session_number, entry):
        errors["session_number"] = _l("Session %(number)d of this client is already in your log. "
                                      "Correct that entry, or check the number.", number=data.session_number)
    if data.delivered_on is None:
        errors["delivered_on"] = _l("Enter the date of the session, for example 2026-10-05.")
    elif data.delivered_on > today:
        errors["delivered_on"] = _l("The date cannot be in the future.")
    if data.duration_minutes is None:
        errors["duration_minutes"] = _l("Enter how many minutes the session lasted.")
    if data.mode is None:
        errors["mode"] = _l("Choose how the session was delivered.")
    if not data.risk_flags:
        errors["risk_flags"] = _l("Tick the risks you saw, or “No risk seen”.")
    elif NO_RISK not in data.risk_flags and not data.risk_action:
        errors["risk_action"] = _l("Say what you did about the risk (for example: safety plan, called the supervisor).")
    return errors


def _session_taken(case: PracticeCase, number: int, entry: PracticeEntry | None) -> bool:
    if case.id is None:
        return False
    found = db.session.scalar(
        sa.select(PracticeEntry.id).where(
            PracticeEntry.case_id == case.id, PracticeEntry.session_number == number,
            PracticeEntry.status != EntryStatus.DRAFT,
            PracticeEntry.id != (entry.id if entry is not None else -1),
        ).limit(1))
    return found is not None


def _case_for(trainee: User, data: EntryData) -> PracticeCase:
    case = db.session.scalar(sa.select(PracticeCase).where(
        PracticeCase.trainee_id == trainee.id, PracticeCase.client_code == data.client_code,
        PracticeCase.intervention == data.intervention))
    if case is None:
        case = PracticeCase(organisation_id=trainee.organisation_id, trainee_id=trainee.id,
                            client_code=data.client_code, intervention=data.intervention)
        db.session.add(case)
    if data.intervention == Intervention.OTHER and data.intervention_other:
        case.intervention_other = data.intervention_other
    return case


def _snapshot(entry: PracticeEntry) -> dict:
    """What the audit log keeps of an entry: every field but the free-text notes."""
    return {
        "status": entry.status.value if entry.status else None,
        "client_code": entry.case.client_code if entry.case else None,
        "intervention": entry.case.intervention.value if entry.case else None,
        "session_number": entry.session_number,
        "delivered_on": entry.delivered_on.isoformat() if entry.delivered_on else None,
        "duration_minutes": entry.duration_minutes,
        "mode": entry.mode.value if entry.mode else None,
        "risk_flags": list(entry.risk_flags or []),
        "outcome_before": entry.outcome_before,
        "outcome_after": entry.outcome_after,
        "custom_measure": [entry.custom_measure_name, entry.custom_measure_value],
    }


def save_entry(trainee: User, data: EntryData, *, submit: bool, entry: PracticeEntry | None = None,
               today: date) -> PracticeEntry:
    """Create or change an entry, as a draft or submitted to the supervisor.

    A returned or submitted entry may be corrected (it goes back to the supervisor); a verified
    one is locked until the supervisor reopens it.
    """
    if entry is not None and entry.status == EntryStatus.VERIFIED:
        raise EntryLockedError()
    errors = _check_shape(data)
    if errors:
        raise PracticeError(errors)
    case = _case_for(trainee, data)
    if submit:
        errors = _check_complete(data, case, entry, today)
        if errors:
            raise PracticeError(errors)
    before = _snapshot(entry) if entry is not None else None
    was_risky = bool(entry is not None and entry.has_risk_flag and entry.status != EntryStatus.DRAFT)
    old_case = entry.case if entry is not None else None
    if entry is None:
        entry = PracticeEntry(organisation_id=trainee.organisation_id, trainee_id=trainee.id)
        db.session.add(entry)
    entry.case = case
    values = asdict(data)
    for name in ("client_code", "intervention", "intervention_other"):
        values.pop(name)
    values["risk_flags"] = [flag for flag in data.risk_flags if flag != NO_RISK]
    for name, value in values.items():
        setattr(entry, name, value)
    entry.has_risk_flag = bool(entry.risk_flags)
    if submit:
        entry.status = EntryStatus.SUBMITTED
        entry.submitted_at = utcnow()
    elif entry.status is None:
        entry.status = EntryStatus.DRAFT
    elif entry.status == EntryStatus.SUBMITTED:
        raise PracticeError({"status": _l("This entry was already sent. Send the correction to your supervisor.")})
    db.session.flush()
    if old_case is not None and old_case.id != case.id:
        _drop_if_empty(old_case)
    action = "practice.entry_created" if before is None else "practice.entry_changed"
    audit.record(action, entry, before=before, after=_snapshot(entry))
    if submit and entry.has_risk_flag and not was_risky:
        notify_risk(entry)
    return entry


def _drop_if_empty(case: PracticeCase) -> None:
    db.session.refresh(case, ["entries"])
    if not case.entries:
        db.session.delete(case)
        db.session.flush()


def discard_draft(entry: PracticeEntry) -> None:
    if entry.status != EntryStatus.DRAFT:
        raise PracticeError({"status": _l("Only a draft can be discarded.")})
    audit.record("practice.draft_discarded", entry, before=_snapshot(entry))
    case = entry.case
    db.session.delete(entry)
    db.session.flush()
    _drop_if_empty(case)


def review_entry(entry: PracticeEntry, reviewer: User, decision: ReviewDecision, comment: str | None) -> PracticeEntry:
    """Verify a submitted entry, or return it (a verified one too: that reopens it) with a comment."""
    comment = (comment or "").strip() or None
    if decision == ReviewDecision.VERIFIED and entry.status != EntryStatus.SUBMITTED:
        raise PracticeError({"comment": _l("Only an entry waiting for verification can be verified.")})
    if decision == ReviewDecision.RETURNED:
        if entry.status not in (EntryStatus.SUBMITTED, EntryStatus.VERIFIED):
            raise PracticeError({"comment": _l("This entry is not waiting for you.")})
        if not comment:
            raise PracticeError({"comment": _l("Say what the trainee should correct.")})
    before = _snapshot(entry)
    entry.status = EntryStatus(decision.value)
    entry.reviewed_at = utcnow()
    entry.reviewed_by_id = reviewer.id
    entry.review_comment = comment
    db.session.add(PracticeReview(entry=entry, reviewer_id=reviewer.id, decision=decision, comment=comment))
    db.session.flush()
    reopened = decision == ReviewDecision.RETURNED and before["status"] == EntryStatus.VERIFIED.value
    audit.record("practice.entry_reopened" if reopened else f"practice.entry_{decision.value}", entry,
                 before=before, after=_snapshot(entry))
    trainees_progressed([entry.trainee_id])
    if decision == ReviewDecision.RETURNED:
        _notify("practice.entry_returned", [entry.trainee], entry, {"client_code": entry.case.client_code},
                stamp=entry.reviewed_at)
    return entry


def supervisors_of(trainee: User) -> list[User]:
    from app.orgs.queries import supervisors_of as current_supervisors

    return current_supervisors(trainee)


def notify_risk(entry: PracticeEntry) -> None:
    """A session with a risk flag reaches the trainee's supervisors at once."""
    _notify("practice.risk_flagged", supervisors_of(entry.trainee), entry,
            {"trainee": entry.trainee.full_name, "client_code": entry.case.client_code,
             "risks": ",".join(entry.risk_flags)}, urgent=True, stamp=entry.submitted_at)


def _notify(kind: str, users: list[User], entry: PracticeEntry, params: dict, *, stamp: datetime | None,
            urgent: bool = False) -> None:
    from flask import current_app

    from app.notifications.services import notify

    if users:  # built without a request, so the demo seeding and CLI commands can notify too
        url = current_app.url_map.bind("").build("practice.practice_entry", {"entry_id": entry.id})
        notify(users, kind, params, url, urgent=urgent,
               dedupe_key=f"{kind}:{entry.id}:{stamp.isoformat() if stamp else ''}")


def rule_for(organisation_id: int, intervention: Intervention) -> PracticeRule:
    """The organisation's completed-case rule, or the default (not added to the session)."""
    from app.practice.models import DEFAULT_NEEDS_POST_ASSESSMENT, DEFAULT_REQUIRED_SESSIONS

    rule = db.session.scalar(sa.select(PracticeRule).where(
        PracticeRule.organisation_id == organisation_id, PracticeRule.intervention == intervention))
    return rule or PracticeRule(organisation_id=organisation_id, intervention=intervention,
                                required_sessions=DEFAULT_REQUIRED_SESSIONS[intervention],
                                needs_post_assessment=DEFAULT_NEEDS_POST_ASSESSMENT[intervention])


def set_rule(organisation_id: int, intervention: Intervention, required_sessions: int,
             needs_post_assessment: bool) -> PracticeRule:
    rule = db.session.scalar(sa.select(PracticeRule).where(
        PracticeRule.organisation_id == organisation_id, PracticeRule.intervention == intervention))
    before = None
    if rule is None:
        rule = PracticeRule(organisation_id=organisation_id, intervention=intervention)
        db.session.add(rule)
    else:
        before = {"required_sessions": rule.required_sessions, "needs_post_assessment": rule.needs_post_assessment}
    rule.required_sessions = required_sessions
    rule.needs_post_assessment = needs_post_assessment
    db.session.flush()
    after = {"required_sessions": required_sessions, "needs_post_assessment": needs_post_assessment}
    if before != after:
        audit.record("practice.rule_changed", rule, before=before, after=after)
    return rule
