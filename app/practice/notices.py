"""What practice notifications say: registered with the notification catalogue at import."""
from __future__ import annotations

from typing import Any

from app.core.i18n import _
from app.notifications.catalogue import register


def _risks(codes: str) -> str:
    from app.practice.forms import RISK_LABELS

    return ", ".join(str(RISK_LABELS.get(code, code)) for code in codes.split(",") if code)


def _risk_flagged(p: dict[str, Any]) -> str:
    return _("Risk in a practice session: %(trainee)s logged %(risks)s with client %(code)s. Please follow up now.",
             trainee=p["trainee"], risks=_risks(p["risks"]), code=p["client_code"])


def _returned(p: dict[str, Any]) -> str:
    return _("Your supervisor returned your practice entry for client %(code)s. Please correct it and send it again.",
             code=p["client_code"])


register("practice.risk_flagged", _risk_flagged)
register("practice.entry_returned", _returned)
