"""The supervision blueprint; routes live in views (sessions, people) and report_views (coverage, CSV, settings)."""
from __future__ import annotations

from flask import Blueprint

from app.supervision.forms import FORMAT_LABELS, INTERVENTION_LABELS, MODALITY_LABELS, RISK_LABELS, TOPIC_LABELS

bp = Blueprint("supervision", __name__, template_folder="templates")


@bp.context_processor
def _labels() -> dict:
    from app.supervision.queries import local, local_today

    return {"FORMAT_LABELS": FORMAT_LABELS, "MODALITY_LABELS": MODALITY_LABELS, "TOPIC_LABELS": TOPIC_LABELS,
            "RISK_LABELS": RISK_LABELS, "INTERVENTION_LABELS": INTERVENTION_LABELS, "local": local,
            "local_today": local_today}
