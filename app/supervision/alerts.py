"""What supervision tells people through the notification centre: high-risk cases (urgent, to the
clinical leads), records to acknowledge, and action items due soon or overdue (idempotent reminders).

The notifications are added in the caller's transaction; the view emails them after its commit
with app.notifications.services.send_pending_emails().
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for

from app.auth.models import User
from app.core.i18n import _
from app.extensions import db
from app.notifications.catalogue import register
from app.notifications.models import Notification
from app.notifications.services import notify
from app.orgs.models import Role, RoleAssignment

if TYPE_CHECKING:
    from app.supervision.models import ActionItem, SupervisionCase, SupervisionSession

DUE_SOON_DAYS = 2
RISK_LABELS_PARAM = {"high": {"es": "alto", "en": "high"}, "imminent": {"es": "inminente", "en": "imminent"}}

register("supervision.high_risk_case", lambda p: _(
    "Urgent: a case at %(risk)s risk (client %(code)s) was discussed in supervision with %(supervisor)s on %(date)s.",
    risk=p["risk"], code=p["code"], supervisor=p["supervisor"], date=p["date"]))
register("supervision.acknowledge", lambda p: _(
    "%(supervisor)s logged your supervision of %(date)s. Please read it and acknowledge it.",
    supervisor=p["supervisor"], date=p["date"]))
register("supervision.changed", lambda p: _(
    "%(supervisor)s changed the record of your supervision of %(date)s. Please read it and acknowledge it again.",
    supervisor=p["supervisor"], date=p["date"]))


def _action_text(p: dict) -> str:
    if p.get("name"):
        return _("Follow up on the well-being of %(name)s", name=p["name"])
    return p.get("text", "")


register("supervision.action_due_soon", lambda p: _(
    "Action item due on %(due)s: %(text)s", due=p["due"], text=_action_text(p)))
register("supervision.action_overdue", lambda p: _(
    "Action item overdue since %(due)s: %(text)s", due=p["due"], text=_action_text(p)))


def session_url(session_id: int) -> str:
    """The record's path, also from a CLI command or a service run outside a request."""
    if has_request_context():
        return url_for("supervision.session_view", supervision_id=session_id)
    with current_app.test_request_context("/"):
        return url_for("supervision.session_view", supervision_id=session_id)


@dataclass(frozen=True)
class RiskAlert:
    case_id: int
    recipients: list[int]


def clinical_leads(organisation_id: int) -> list[User]:
    """The organisation's clinical leads; its administrators when it has none, so no alert is lost."""
    def holders(role: Role) -> list[User]:
        return list(db.session.scalars(
            sa.select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(RoleAssignment.organisation_id == organisation_id, RoleAssignment.role == role,
                   User.is_active_account.is_(True)).order_by(User.id)))

    return holders(Role.CLINICAL_LEAD) or holders(Role.ADMIN)


def _day(session: SupervisionSession) -> str:
    from app.core.i18n import format_date

    return format_date(session.started_at, "medium")


def alert_clinical_leads(session: SupervisionSession, cases: list[SupervisionCase]) -> list[RiskAlert]:
    if not cases:
        return []
    leads = clinical_leads(session.organisation_id)
    url = session_url(session.id)
    sent = []
    for case in cases:
        notify(leads, "supervision.high_risk_case",
               {"risk": RISK_LABELS_PARAM[case.risk_level.value], "code": case.client_code or "—",
                "supervisor": session.supervisor.full_name, "date": session.started_at.date().isoformat()},
               url, urgent=True, dedupe_key=f"supervision.case.{case.id}.risk.{case.risk_alerted_at:%Y%m%d%H%M%S}")
        sent.append(RiskAlert(case.id, [lead.id for lead in leads]))
    return sent


def ask_acknowledgement(session: SupervisionSession, changed: bool = False) -> None:
    people = [a.supervisee for a in session.attendees]
    kind = "supervision.changed" if changed else "supervision.acknowledge"
    notify(people, kind, {"supervisor": session.supervisor.full_name,
                          "date": session.started_at.date().isoformat()},
           session_url(session.id))


def _reminder(item: ActionItem, today: date) -> tuple[str, str] | None:
    """(kind, dedupe key) of the reminder this open item calls for today, if any."""
    if item.due_on is None:
        return None
    if item.due_on < today:
        return "supervision.action_overdue", f"supervision.action.{item.id}.overdue"
    if item.due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "supervision.action_due_soon", f"supervision.action.{item.id}.due_soon"
    return None


def _params(item: ActionItem) -> dict:
    if item.is_wellbeing_followup:
        return {"due": item.due_on.isoformat(), "name": item.about.full_name if item.about else "—"}
    return {"due": item.due_on.isoformat(), "text": item.description[:200]}


def due_reminders(today: date, owner_id: int | None = None, organisation_id: int | None = None
                  ) -> list[tuple[ActionItem, str, str]]:
    """Open items of submitted sessions that need a reminder not yet sent: (item, kind, dedupe key)."""
    from app.supervision.models import ActionItem, ActionStatus, SessionStatus, SupervisionSession

    query = (sa.select(ActionItem).join(SupervisionSession, SupervisionSession.id == ActionItem.session_id)
             .where(ActionItem.status == ActionStatus.OPEN, ActionItem.due_on.is_not(None),
                    ActionItem.due_on <= today + timedelta(days=DUE_SOON_DAYS),
                    SupervisionSession.status == SessionStatus.SUBMITTED))
    if owner_id is not None:
        query = query.where(ActionItem.owner_id == owner_id)
    if organisation_id is not None:
        query = query.where(ActionItem.organisation_id == organisation_id)
    items = list(db.session.scalars(query.order_by(ActionItem.id)))
    wanted = [(item, *_reminder(item, today)) for item in items if _reminder(item, today)]
    if not wanted:
        return []
    sent = set(db.session.execute(
        sa.select(Notification.user_id, Notification.dedupe_key)
        .where(Notification.dedupe_key.in_([key for _item, _kind, key in wanted]))).all())
    return [(item, kind, key) for item, kind, key in wanted if (item.owner_id, key) not in sent]


def send_reminders(pending: list[tuple[ActionItem, str, str]]) -> int:
    """Notify each owner once per item and kind (the dedupe key makes a second run do nothing)."""
    count = 0
    for item, kind, key in pending:
        url = session_url(item.session_id)
        count += len(notify([item.owner], kind, _params(item), url, dedupe_key=key))
    return count
