"""CSV exports of practice cases and entries: UTF-8 with a BOM (Excel reads the accents) and no cell
that a spreadsheet would run as a formula. Free-text notes go only to the trainee's supervisors."""
from __future__ import annotations

from typing import Any, Iterable

from app.core import csv_files
from app.core.i18n import _
from app.practice.forms import INTERVENTION_LABELS, MODE_LABELS, RISK_LABELS
from app.practice.models import EntryStatus, PracticeEntry
from app.practice.queries import CaseProgress

def to_csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    return csv_files.to_csv(header, rows).encode("utf-8")


def status_label(status: EntryStatus) -> str:
    return {
        EntryStatus.DRAFT: _("Draft"), EntryStatus.SUBMITTED: _("Waiting for verification"),
        EntryStatus.RETURNED: _("Returned for correction"), EntryStatus.VERIFIED: _("Verified"),
    }[status]


def intervention_label(case: Any) -> str:
    label = str(INTERVENTION_LABELS[case.intervention])
    return f"{label}: {case.intervention_other}" if case.intervention_other else label


def entries_csv(entries: list[PracticeEntry], with_notes: bool) -> bytes:
    header = [_("Trainee"), _("Username"), _("Client code"), _("Intervention"), _("Session number"),
              _("Date of the session"), _("Duration (minutes)"), _("How it was delivered"), _("Risks"),
              _("PSYCHLOPS before"), _("PSYCHLOPS after"), _("Other measure"), _("Other measure: score"),
              _("Status"), _("Verified or returned on"), _("Reviewed by")]
    if with_notes:
        header += [_("What was done about the risk"), _("Notes"), _("Supervisor's comment")]

    def row(e: PracticeEntry) -> list[Any]:
        values = [e.trainee.full_name, e.trainee.username, e.case.client_code, intervention_label(e.case),
                  e.session_number, e.delivered_on.isoformat() if e.delivered_on else None, e.duration_minutes,
                  str(MODE_LABELS[e.mode]) if e.mode else None,
                  "; ".join(str(RISK_LABELS[f]) for f in e.risk_flags) or _("None"),
                  e.outcome_before, e.outcome_after, e.custom_measure_name, e.custom_measure_value,
                  status_label(e.status), e.reviewed_at.date().isoformat() if e.reviewed_at else None,
                  e.reviewed_by.full_name if e.reviewed_by else None]
        if with_notes:
            values += [e.risk_action, e.notes, e.review_comment]
        return values

    return to_csv(header, (row(e) for e in entries))


def cases_csv(progress: list[CaseProgress]) -> bytes:
    header = [_("Trainee"), _("Username"), _("Client code"), _("Intervention"), _("Sessions sent"),
              _("Sessions verified"), _("Sessions for a completed case"), _("Completed"), _("Completed and verified"),
              _("First PSYCHLOPS"), _("Last PSYCHLOPS"), _("PSYCHLOPS change")]

    def row(p: CaseProgress) -> list[Any]:
        sent = {e.session_number for e in p.entries if e.status in (EntryStatus.SUBMITTED, EntryStatus.VERIFIED)}
        verified = {e.session_number for e in p.entries if e.status == EntryStatus.VERIFIED}
        outcome = p.psychlops
        return [p.case.trainee.full_name, p.case.trainee.username, p.case.client_code, intervention_label(p.case),
                len(sent - {None}), len(verified - {None}), p.rule.required_sessions,
                _("Yes") if p.is_completed else _("No"), _("Yes") if p.is_verified_completed else _("No"),
                outcome.first if outcome else None, outcome.last if outcome else None,
                outcome.change if outcome else None]

    return to_csv(header, (row(p) for p in progress))
