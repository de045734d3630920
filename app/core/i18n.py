"""Translation helpers and locale choice: the user's preference, then Accept-Language, then Spanish."""
from __future__ import annotations

from flask import current_app, request, session
from flask_babel import format_date, format_datetime, format_decimal, gettext, lazy_gettext, ngettext
from flask_login import current_user

_ = gettext
_l = lazy_gettext

__all__ = ["_", "_l", "ngettext", "format_date", "format_datetime", "format_decimal", "select_locale"]

LANGUAGE_NAMES = {"es": "Español", "en": "English"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.preferred_language in languages:
        return current_user.preferred_language
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
