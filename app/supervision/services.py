"""Supervision rules: start, save, submit and edit a session; acknowledge; action items. Services flush,
audit and never commit; the alerts they return are sent by the view after its commit."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.signals import trainees_progressed
from app.core.i18n import _l
from app.extensions import db
from app.orgs.models import Organisation, Site, SupervisorAssignment
from app.supervision import alerts, deidentify
from app.supervision.models import (
    HIGH_RISK,
    ActionItem,
    ActionStatus,
    Intervention,
    Modality,
    RiskLevel,
    SessionAttendee,
    SessionFormat,
    SessionRevision,
    SessionStatus,
    SupervisionCase,
    SupervisionSession,
    Topic,
)

WELLBEING_FOLLOWUP_DAYS = 7
NOTE_FIELDS = ("notes", "cases", "wellbeing", "actions")  # hold notes: kept out of the audit log


class SupervisionError(Exception):
    """A rule refused the change; `message` is shown to the person, next to `field` when given."""

    def __init__(self, message: Any, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CaseData:
    client_code: str = ""
    intervention: Intervention = Intervention.PM_PLUS
    session_number: int | None = None
    summary: str | None = None
    risk_level: RiskLevel = RiskLevel.NONE
    action_taken: str | None = None
    referral: str | None = None
    supervisee_id: int | None = None

    @property
    def is_blank(self) -> bool:
        return not (self.client_code.strip() or (self.summary or "").strip() or (self.action_taken or "").strip()
                    or (self.referral or "").strip() or self.session_number)


@dataclass(frozen=True)
class ActionData:
    description: str = ""
    owner_id: int | None = None
    due_on: date | None = None

    @property
    def is_blank(self) -> bool:
        return not self.description.strip()


@dataclass
class SessionData:
    supervisee_ids: list[int]
    format: SessionFormat
    modality: Modality
    started_at: datetime | None
    duration_minutes: int | None
    site_id: int | None = None
    topics: list[str] = field(default_factory=list)
    notes: str | None = None
    cases: list[CaseData] = field(default_factory=list)
    actions: list[ActionData] = field(default_factory=list)
    wellbeing: dict[int, tuple[int | None, str | None]] = field(default_factory=dict)
    assessment_id: int | None = None


@dataclass(frozen=True)
class Warning:
    where: Any  # a lazy label such as "Case 2, summary"
    finding: deidentify.Finding


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def current_supervisee_ids(supervisor: User) -> set[int]:
    return set(db.session.scalars(
        sa.select(SupervisorAssignment.trainee_id).where(
            SupervisorAssignment.supervisor_id == supervisor.id, SupervisorAssignment.ended_at.is_(None),
            SupervisorAssignment.organisation_id == supervisor.organisation_id)))


def _common_cohort(supervisor: User, supervisee_ids: list[int]) -> int | None:
    """The cohort the supervisees are supervised in, when they all share one (for reports by cohort)."""
    rows = set(db.session.scalars(
        sa.select(SupervisorAssignment.cohort_id).where(
            SupervisorAssignment.supervisor_id == supervisor.id, SupervisorAssignment.ended_at.is_(None),
            SupervisorAssignment.trainee_id.in_(supervisee_ids or [0]))))
    return rows.pop() if len(rows) == 1 else None


def _check_people(session: SupervisionSession | None, supervisor: User, data: SessionData, complete: bool) -> None:
    allowed = current_supervisee_ids(supervisor)
    if session is not None:
        allowed |= {a.supervisee_id for a in session.attendees}
    if set(data.supervisee_ids) - allowed:
        raise SupervisionError(_l("Choose people you supervise."), "supervisee_ids")
    if not data.supervisee_ids:
        raise SupervisionError(_l("Choose at least one supervisee."), "supervisee_ids")
    if complete and data.format == SessionFormat.INDIVIDUAL and len(data.supervisee_ids) != 1:
        raise SupervisionError(_l("An individual session has exactly one supervisee. Choose group or peer for more."),
                               "supervisee_ids")
    if complete and data.format != SessionFormat.INDIVIDUAL and len(data.supervisee_ids) < 2:
        raise SupervisionError(_l("A group or peer session has two or more supervisees."), "supervisee_ids")


def _check_when(data: SessionData, complete: bool) -> None:
    if data.started_at is None:
        raise SupervisionError(_l("Enter the date of the session."), "held_on")
    if data.started_at > utcnow() + timedelta(hours=1):
        raise SupervisionError(_l("A session can be logged once it has happened. Check the date and time."), "held_on")
    if complete and not data.duration_minutes:
        raise SupervisionError(_l("Enter how long the session lasted."), "duration_minutes")


def _check_site(organisation_id: int, site_id: int | None) -> None:
    if site_id and db.session.scalar(sa.select(Site.id).where(Site.id == site_id,
                                                              Site.organisation_id == organisation_id)) is None:
        raise SupervisionError(_l("Choose a site of your organisation."), "site_id")


def _check_assessment(supervisor: User, data: SessionData) -> None:
    if not data.assessment_id:
        return
    from app.competencies.models import Assessment

    assessment = db.session.get(Assessment, data.assessment_id)
    if (assessment is None or assessment.organisation_id != supervisor.organisation_id
            or assessment.trainee_id not in data.supervisee_ids):
        raise SupervisionError(_l("Choose an assessment of a supervisee in this session."), "assessment_id")


def _check_cases(data: SessionData, complete: bool) -> None:
    for index, case in enumerate(data.cases):
        if case.is_blank:
            continue
        prefix = f"cases-{index}-"
        code = deidentify.normalise_client_code(case.client_code)
        if not code and complete:
            raise SupervisionError(_l("Enter the client's code, for example CH-014."), prefix + "client_code")
        if code and not deidentify.is_valid_client_code(code):
            raise SupervisionError(_l("Use a client code such as CH-014: letters, numbers and dashes, with at least "
                                      "one number. Never a name."), prefix + "client_code")
        if case.supervisee_id and case.supervisee_id not in data.supervisee_ids:
            raise SupervisionError(_l("Choose a supervisee who took part in the session."), prefix + "supervisee_id")
        if complete and case.risk_level in HIGH_RISK and not _clean(case.action_taken):
            raise SupervisionError(_l("Say what was done for a case at high or imminent risk."),
                                   prefix + "action_taken")


def _check_actions(supervisor: User, data: SessionData, complete: bool) -> None:
    owners = {supervisor.id, *data.supervisee_ids}
    for index, item in enumerate(data.actions):
        if item.is_blank:
            continue
        if item.owner_id and item.owner_id not in owners:
            raise SupervisionError(_l("The owner is the supervisor or a supervisee of this session."),
                                   f"actions-{index}-owner_id")


def check(session: SupervisionSession | None, supervisor: User, data: SessionData, *, complete: bool) -> None:
    """The rules; `complete` adds what a submitted record needs (a draft may be unfinished)."""
    _check_people(session, supervisor, data, complete)
    _check_when(data, complete)
    _check_site(supervisor.organisation_id, data.site_id)
    _check_assessment(supervisor, data)
    _check_cases(data, complete)
    _check_actions(supervisor, data, complete)


def warnings(data: SessionData, names: dict[int, str]) -> list[Warning]:
    """Free text that looks like it holds a name or a phone number: shown, never blocking."""
    found: list[Warning] = []

    def scan(where: Any, text: str | None) -> None:
        found.extend(Warning(where, finding) for finding in deidentify.check_text(text))

    scan(_l("Session notes"), data.notes)
    for index, case in enumerate(data.cases, start=1):
        scan(_l("Case %(n)d, summary", n=index), case.summary)
        scan(_l("Case %(n)d, what was done", n=index), case.action_taken)
        scan(_l("Case %(n)d, referral or escalation", n=index), case.referral)
    for supervisee_id, (_score, note) in data.wellbeing.items():
        scan(_l("Well-being note for %(name)s", name=names.get(supervisee_id, "")), note)
    for index, item in enumerate(data.actions, start=1):
        scan(_l("Action item %(n)d", n=index), item.description)
    # A supervisee's own name in a note about them is expected; only other names are worth a warning.
    own = {part for name in names.values() for part in name.split()} | set(names.values())
    return [w for w in found if not (w.finding.kind == "name" and w.finding.text in own)]


def _apply(session: SupervisionSession, data: SessionData) -> None:
    session.format = data.format
    session.modality = data.modality
    if data.started_at is not None:
        session.started_at = data.started_at
    session.duration_minutes = data.duration_minutes or session.duration_minutes or 60
    session.site_id = data.site_id or None
    session.topics = [t.value for t in Topic if t.value in data.topics]
    session.notes = _clean(data.notes)
    session.assessment_id = data.assessment_id or None

    existing = {a.supervisee_id: a for a in session.attendees}
    for supervisee_id in list(existing):
        if supervisee_id not in data.supervisee_ids:
            session.attendees.remove(existing.pop(supervisee_id))
    for supervisee_id in data.supervisee_ids:
        attendee = existing.get(supervisee_id)
        if attendee is None:
            attendee = SessionAttendee(supervisee_id=supervisee_id)
            session.attendees.append(attendee)
        score, note = data.wellbeing.get(supervisee_id, (attendee.wellbeing_score, attendee.wellbeing_note))
        attendee.wellbeing_score = score if score is None or 0 <= score <= 10 else None
        attendee.wellbeing_note = _clean(note)

    kept = [c for c in data.cases if not c.is_blank]
    for old in list(session.cases)[len(kept):]:
        session.cases.remove(old)
    for position, case in enumerate(kept):
        row = session.cases[position] if position < len(session.cases) else None
        if row is None:
            row = SupervisionCase()
            session.cases.append(row)
        code = deidentify.normalise_client_code(case.client_code)
        if not (case.risk_level in HIGH_RISK and row.risk_level in HIGH_RISK and row.client_code == code):
            row.risk_alerted_at = None  # a case that becomes high risk (or another client) alerts again
        row.position = position
        row.client_code = code if deidentify.is_valid_client_code(code) else ""
        row.intervention = case.intervention
        row.session_number = case.session_number
        row.summary = _clean(case.summary)
        row.risk_level = case.risk_level
        row.action_taken = _clean(case.action_taken)
        row.referral = _clean(case.referral)
        single = data.supervisee_ids[0] if len(data.supervisee_ids) == 1 else None
        row.supervisee_id = case.supervisee_id or single

    manual = [a for a in session.action_items if not a.is_wellbeing_followup]
    wanted = [a for a in data.actions if not a.is_blank]
    for old in manual[len(wanted):]:
        session.action_items.remove(old)
    for index, item in enumerate(wanted):
        row = manual[index] if index < len(manual) else None
        if row is None:
            row = ActionItem(organisation_id=session.organisation_id, status=ActionStatus.OPEN)
            session.action_items.append(row)
        row.description = item.description.strip()[:500]
        row.owner_id = item.owner_id or session.supervisor_id
        row.due_on = item.due_on


def start_session(supervisor: User, data: SessionData) -> SupervisionSession:
    """A new draft: who, how and when. The rest is filled in (and saved as typed) on the next page."""
    check(None, supervisor, data, complete=False)
    session = SupervisionSession(organisation_id=supervisor.organisation_id, supervisor_id=supervisor.id,
                                 status=SessionStatus.DRAFT, started_at=data.started_at,
                                 cohort_id=_common_cohort(supervisor, data.supervisee_ids))
    db.session.add(session)
    _apply(session, data)
    session.draft_saved_at = utcnow()
    db.session.flush()
    audit.record("supervision.session.started", session, after={"supervisees": sorted(data.supervisee_ids)},
                 actor_id=supervisor.id)
    return session


def save_draft(session: SupervisionSession, data: SessionData, actor: User) -> None:
    """Save whatever is there, unfinished; a rule that is broken is reported and the draft is not saved."""
    if not session.is_draft:
        raise SupervisionError(_l("This record has been submitted. Use Save changes."))
    check(session, actor, data, complete=False)
    _apply(session, data)
    session.cohort_id = _common_cohort(actor, data.supervisee_ids) or session.cohort_id
    session.draft_saved_at = utcnow()
    db.session.flush()


def _wellbeing_followups(session: SupervisionSession, threshold: int) -> None:
    followed = {a.about_id for a in session.action_items if a.is_wellbeing_followup}
    due = (session.started_at + timedelta(days=WELLBEING_FOLLOWUP_DAYS)).date()
    for attendee in session.attendees:
        score = attendee.wellbeing_score
        if score is not None and score <= threshold and attendee.supervisee_id not in followed:
            session.action_items.append(ActionItem(
                organisation_id=session.organisation_id, owner_id=session.supervisor_id,
                about_id=attendee.supervisee_id, description="", due_on=due, is_wellbeing_followup=True))


def _risk_alerts(session: SupervisionSession) -> list[alerts.RiskAlert]:
    found = []
    for case in session.cases:
        if case.risk_level in HIGH_RISK and case.risk_alerted_at is None:
            case.risk_alerted_at = utcnow()
            found.append(case)
    db.session.flush()
    return alerts.alert_clinical_leads(session, found)


def submit_session(session: SupervisionSession, data: SessionData, actor: User) -> list[alerts.RiskAlert]:
    """Submit the record: complete rules, well-being follow-ups, alerts for high-risk cases."""
    if not session.is_draft:
        raise SupervisionError(_l("This record has already been submitted."))
    check(session, actor, data, complete=True)
    _apply(session, data)
    session.status = SessionStatus.SUBMITTED
    session.submitted_at = utcnow()
    organisation = db.session.get(Organisation, session.organisation_id)
    _wellbeing_followups(session, organisation.wellbeing_followup_score)
    db.session.flush()
    audit.record("supervision.session.submitted", session, after=_public_state(session), actor_id=actor.id)
    alerts.ask_acknowledgement(session)
    trainees_progressed(a.supervisee_id for a in session.attendees)
    return _risk_alerts(session)


def _public_state(session: SupervisionSession) -> dict:
    """What may appear in the audit log: no notes, no case content."""
    return {"format": session.format.value, "modality": session.modality.value,
            "started_at": session.started_at.isoformat(), "duration_minutes": session.duration_minutes,
            "site_id": session.site_id, "topics": list(session.topics),
            "supervisees": sorted(a.supervisee_id for a in session.attendees),
            "cases": len(session.cases), "assessment_id": session.assessment_id}


def _notes_state(session: SupervisionSession) -> dict:
    return {
        "notes": session.notes,
        "cases": [{"client_code": c.client_code, "intervention": c.intervention.value,
                   "session_number": c.session_number, "summary": c.summary, "risk_level": c.risk_level.value,
                   "action_taken": c.action_taken, "referral": c.referral, "supervisee_id": c.supervisee_id}
                  for c in session.cases],
        "wellbeing": {str(a.supervisee_id): [a.wellbeing_score, a.wellbeing_note] for a in session.attendees},
        "actions": [{"description": a.description, "owner_id": a.owner_id,
                     "due_on": a.due_on.isoformat() if a.due_on else None}
                    for a in session.action_items if not a.is_wellbeing_followup],
    }


def update_submitted(session: SupervisionSession, data: SessionData, actor: User) -> list[alerts.RiskAlert]:
    """Edit a submitted record. Every change is audited; after an acknowledgement the supervisees are
    asked to acknowledge again. The full before/after (with notes) is kept as a revision of the record."""
    if session.is_draft:
        raise SupervisionError(_l("This record is still a draft."))
    check(session, actor, data, complete=True)
    before = {**_public_state(session), **_notes_state(session)}
    _apply(session, data)
    db.session.flush()
    after = {**_public_state(session), **_notes_state(session)}
    changed = [key for key in after if after[key] != before[key]]
    if not changed:
        return []
    acknowledged = [a for a in session.attendees if a.acknowledged_at is not None]
    db.session.add(SessionRevision(session_id=session.id, actor_id=actor.id, was_acknowledged=bool(acknowledged),
                                   before={k: before[k] for k in changed}, after={k: after[k] for k in changed}))
    organisation = db.session.get(Organisation, session.organisation_id)
    _wellbeing_followups(session, organisation.wellbeing_followup_score)
    public = [k for k in changed if k not in NOTE_FIELDS]
    audit.record("supervision.session.updated", session, actor_id=actor.id,
                 before={**{k: before[k] for k in public}, **{k: "…" for k in changed if k in NOTE_FIELDS},
                         "acknowledged_by": sorted(a.supervisee_id for a in acknowledged)},
                 after={**{k: after[k] for k in public},
                        **{k: "(changed: see the record's history)" for k in changed if k in NOTE_FIELDS},
                        "acknowledged_by": []})
    for attendee in acknowledged:
        attendee.acknowledged_at = None
    if acknowledged:
        alerts.ask_acknowledgement(session, changed=True)
    db.session.flush()
    return _risk_alerts(session)


def discard_draft(session: SupervisionSession, actor: User) -> None:
    if not session.is_draft:
        raise SupervisionError(_l("A submitted record cannot be deleted."))
    audit.record("supervision.session.discarded", session, actor_id=actor.id)
    db.session.delete(session)
    db.session.flush()


def acknowledge(session: SupervisionSession, supervisee: User) -> bool:
    """The supervisee confirms they have read the record. True if this changed anything."""
    attendee = next((a for a in session.attendees if a.supervisee_id == supervisee.id), None)
    if attendee is None or session.is_draft:
        raise SupervisionError(_l("Only a supervisee in this session can acknowledge it."))
    if attendee.acknowledged_at is not None:
        return False
    attendee.acknowledged_at = utcnow()
    db.session.flush()
    audit.record("supervision.session.acknowledged", session, actor_id=supervisee.id,
                 after={"supervisee_id": supervisee.id})
    return True


def set_action_status(item: ActionItem, done: bool, actor: User) -> bool:
    status = ActionStatus.DONE if done else ActionStatus.OPEN
    if item.status == status:
        return False
    before = item.status.value
    item.status = status
    item.done_at = utcnow() if done else None
    item.done_by_id = actor.id if done else None
    db.session.flush()
    audit.record("supervision.action.done" if done else "supervision.action.reopened", item, actor_id=actor.id,
                 before={"status": before}, after={"status": status.value})
    return True


def record_notes_read(session: SupervisionSession, reader: User, how: str = "page") -> None:
    """A read of the notes by someone other than the supervisor or a supervisee (a clinical lead)."""
    audit.record("supervision.notes.read", session, actor_id=reader.id, after={"how": how})


def reads_as_third_party(session: SupervisionSession, reader: User) -> bool:
    return reader.id != session.supervisor_id and all(a.supervisee_id != reader.id for a in session.attendees)


def update_settings(organisation: Organisation, overdue_days: int, followup_score: int, actor: User) -> None:
    before = {"supervision_overdue_days": organisation.supervision_overdue_days,
              "wellbeing_followup_score": organisation.wellbeing_followup_score}
    if not 1 <= overdue_days <= 365:
        raise SupervisionError(_l("Choose between 1 and 365 days."), "overdue_days")
    if not 0 <= followup_score <= 10:
        raise SupervisionError(_l("Choose a score from 0 to 10."), "followup_score")
    organisation.supervision_overdue_days = overdue_days
    organisation.wellbeing_followup_score = followup_score
    after = {"supervision_overdue_days": overdue_days, "wellbeing_followup_score": followup_score}
    if after != before:
        db.session.flush()
        audit.record("supervision.settings.changed", organisation, organisation_id=organisation.id,
                     before=before, after=after, actor_id=actor.id)
