"""What certificate notifications say: registered with the notification catalogue at import."""
from __future__ import annotations

from typing import Any

from app.core.i18n import _
from app.notifications.catalogue import localized, register


def _expiring(p: dict[str, Any]) -> str:
    return _("Your certificate %(code)s for %(course)s expires on %(date)s (in %(days)s days or less). "
             "Take the refresher to renew it.", code=p["code"], course=localized(p["course"]), date=p["date"],
             days=p["days"])


def _issued(p: dict[str, Any]) -> str:
    return _("You have a new certificate: %(course)s (%(code)s). You can download it now.",
             code=p["code"], course=localized(p["course"]))


register("certificates.expiring", _expiring)
register("certificates.issued", _issued)
