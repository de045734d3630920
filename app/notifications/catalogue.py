"""What each kind of notification says, rendered in the reader's language when they read it.

A notification stores a ``kind`` and its ``params``, never frozen text, so the same row reads
in Spanish for one person and in English for another. A param may be a {language: text} table
(content such as an item title); it is shown in the reader's language. Other features add
their kinds with :func:`register`.
"""
from __future__ import annotations

from typing import Any, Callable

from flask_babel import get_locale

from app.core.i18n import _, ngettext

Renderer = Callable[[dict[str, Any]], str]
_MESSAGES: dict[str, Renderer] = {}


def register(kind: str, renderer: Renderer) -> None:
    """Teach the catalogue one kind: renderer(params) returns the translated sentence."""
    _MESSAGES[kind] = renderer


def localized(value: Any, language: str | None = None) -> str:
    """A {language: text} table in the reader's language (then Spanish, English, anything); text as it is."""
    if not isinstance(value, dict):
        return "" if value is None else str(value)
    language = language or str(get_locale() or "es")
    for choice in (language, "es", "en", *value):
        if value.get(choice):
            return str(value[choice])
    return ""


def render(kind: str, params: dict[str, Any]) -> str:
    """The sentence for one notification; an unknown kind still says something true."""
    renderer = _MESSAGES.get(kind)
    if renderer is None:
        return _("You have a new notification.")
    values = {key: localized(value) for key, value in params.items() if not isinstance(value, (int, float))}
    numbers = {key: value for key, value in params.items() if isinstance(value, (int, float))}
    try:
        return renderer({**values, **numbers})
    except (KeyError, TypeError, ValueError):
        return _("You have a new notification.")


register("harm_flag.raised", lambda p: ngettext(
    "Harm flag: %(trainee)s showed potentially harmful behaviour in %(num)d item of “%(tool)s”. "
    "A remediation plan is open.",
    "Harm flag: %(trainee)s showed potentially harmful behaviour in %(num)d items of “%(tool)s”. "
    "A remediation plan is open.",
    p["count"], trainee=p["trainee"], tool=p["tool"]))
register("harm_flag.cleared", lambda p: _(
    "Harm flag cleared: %(trainee)s showed no harmful behaviour in “%(item)s” in a later assessment.",
    trainee=p["trainee"], item=p["item"]))
register("rating_session.invited", lambda p: _(
    "%(creator)s asked you to rate “%(title)s”. Your rating stays private until you submit it.",
    creator=p["creator"], title=p["title"]))
