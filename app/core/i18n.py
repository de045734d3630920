"""Translation helpers and locale choice: the user's preference, then Accept-Language, then Spanish."""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_app_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user

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


def current_translations():
    """Flask-Babel's catalogue for the current locale, remembered beside that locale.

    Flask-Babel looks the catalogue up again at every call (~40 µs, dozens of times a page); a
    forced or refreshed locale is a different (or no) locale object, so the catalogue is found again.
    """
    ctx = getattr(g, "_flask_babel", None) if has_app_context() else None
    if ctx is not None:
        remembered = getattr(ctx, "acompana_translations", None)
        if remembered is not None and remembered[0] is getattr(ctx, "babel_locale", None):
            return remembered[1]
    translations = get_translations()
    ctx = getattr(g, "_flask_babel", None) if has_app_context() else None
    if ctx is not None and getattr(ctx, "babel_locale", None) is not None:
        ctx.acompana_translations = (ctx.babel_locale, translations)
    return translations


def install_template_gettext(app: Flask) -> None:
    """Templates' _() and ngettext() through current_translations(): same strings, less work per call."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
    )


# Flask-Babel's gettext, ngettext and lazy_gettext, through current_translations(): same strings.
def _(string: str, **variables: Any) -> str:
    translated = current_translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return current_translations().ungettext(singular, plural, num) % variables


def _l(string: str, **variables: Any) -> LazyString:
    return LazyString(_, string, **variables)
