"""CSV exports of supervision: sessions, hours and cases. UTF-8 with a BOM (Excel reads the accents),
cells that a spreadsheet would run as a formula neutralised, notes only when asked for by a clinical lead."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from app.core import csv_files
from app.core.i18n import _
from app.supervision import queries
from app.supervision.forms import FORMAT_LABELS, INTERVENTION_LABELS, MODALITY_LABELS, RISK_LABELS, TOPIC_LABELS
from app.supervision.models import HIGH_RISK, RiskLevel, SupervisionSession

RISK_ORDER = list(RiskLevel)


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    return csv_files.to_csv(header, rows).encode("utf-8")


def _when(moment: datetime | None) -> str:
    return queries.local(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _highest_risk(session: SupervisionSession) -> str:
    if not session.cases:
        return ""
    return str(RISK_LABELS[max((c.risk_level for c in session.cases), key=RISK_ORDER.index)])


def sessions_csv(sessions: list[SupervisionSession], with_notes: bool) -> bytes:
    header = [_("Session"), _("Date and time"), _("Supervisor"), _("Format"), _("How you met"), _("Minutes"),
              _("Site"), _("Cohort"), _("Supervisees"), _("Topics covered"), _("Cases"), _("Cases at high risk"),
              _("Highest risk"), _("Acknowledged by")]
    if with_notes:
        header.append(_("Notes"))

    def row(s: SupervisionSession) -> list[Any]:
        cells = [s.id, _when(s.started_at), s.supervisor.full_name, str(FORMAT_LABELS[s.format]),
                 str(MODALITY_LABELS[s.modality]), s.duration_minutes, s.site.name if s.site else "",
                 s.cohort.name if s.cohort else "", "; ".join(a.supervisee.full_name for a in s.attendees),
                 "; ".join(str(label) for t, label in TOPIC_LABELS.items() if t.value in s.topics), len(s.cases),
                 sum(1 for c in s.cases if c.risk_level in HIGH_RISK), _highest_risk(s),
                 f"{sum(1 for a in s.attendees if a.acknowledged_at)}/{len(s.attendees)}"]
        return cells + [s.notes or ""] if with_notes else cells

    return to_csv(header, (row(s) for s in sessions))


def cases_csv(sessions: list[SupervisionSession], with_notes: bool) -> bytes:
    header = [_("Session"), _("Date and time"), _("Supervisor"), _("Supervisee"), _("Client code"),
              _("Intervention"), _("Session number"), _("Risk level")]
    if with_notes:
        header += [_("Summary"), _("What was done"), _("Referral or escalation")]
    rows = []
    for s in sessions:
        for c in s.cases:
            cells = [s.id, _when(s.started_at), s.supervisor.full_name, c.supervisee.full_name if c.supervisee else "",
                     c.client_code, str(INTERVENTION_LABELS[c.intervention]), c.session_number or "",
                     str(RISK_LABELS[c.risk_level])]
            rows.append(cells + [c.summary or "", c.action_taken or "", c.referral or ""] if with_notes else cells)
    return to_csv(header, rows)


def hours_csv(rows: list[tuple]) -> bytes:
    header = [_("Name"), _("Username"), _("Site"), _("Sessions"), _("Hours"), _("Last session")]
    return to_csv(header, ([user.full_name, user.username, site, sessions, f"{minutes / 60:.2f}", _when(last)]
                           for user, site, sessions, minutes, last in rows))
