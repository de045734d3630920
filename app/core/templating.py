"""What every template can use: permission predicates, navigation, assets and formatting."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from app.core import permissions
from app.core.i18n import (
    LANGUAGE_NAMES,
    _l,
    format_date,
    format_datetime,
    format_decimal,
    install_template_gettext,
)
from app.orgs.models import Role

_asset_hashes: dict[str, str] = {}


def asset_url(filename: str) -> str:
    """A static URL with a content hash, so assets can be cached for a year (built once per mount point)."""
    urls: dict[tuple[str, str], str] = current_app.extensions.setdefault("acompana_asset_urls", {})
    key = (filename, request.script_root) if has_request_context() else None
    url = urls.get(key) if key else None
    if url is not None:
        return url
    digest = _asset_hashes.get(filename)
    if digest is None:
        path = Path(current_app.static_folder or "") / filename
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
        _asset_hashes[filename] = digest
    url = url_for("static", filename=filename, v=digest)
    if key:
        urls[key] = url
    return url


def navigation() -> list[tuple[str, str, str]]:
    """(endpoint, label, url) entries for the signed-in user's roles (the same for every page: built
    once per set of roles; the labels stay lazy, so each page shows them in its own language)."""
    if not current_user.is_authenticated:
        return []
    roles = frozenset(current_user.roles)
    built: dict[tuple[frozenset, str], list] = current_app.extensions.setdefault("acompana_navigation", {})
    key = (roles, request.script_root)
    items = built.get(key)
    if items is None:
        items = built[key] = _navigation_for(roles)
    return items


def _navigation_for(roles: frozenset) -> list[tuple[str, str, str]]:
    items = [("core.home", _l("Home"), url_for("core.home"))]
    if roles & {Role.ADMIN, Role.TRAINER}:
        items.append(("orgs.cohorts", _l("Cohorts"), url_for("orgs.cohorts")))
    if Role.ADMIN in roles:
        items.append(("orgs.users", _l("Users"), url_for("orgs.users")))
        items.append(("orgs.sites", _l("Sites"), url_for("orgs.sites")))
        items.append(("orgs.audit", _l("Audit log"), url_for("orgs.audit")))
    if Role.TRAINEE in roles:
        items.append(("courses.my_courses", _l("My courses"), url_for("courses.my_courses")))
    if roles & {Role.ADMIN, Role.TRAINER}:
        items.append(("courses.authoring.index", _l("Course authoring"), url_for("courses.authoring.index")))
    if roles & {Role.ADMIN, Role.PROGRAMME_MANAGER}:
        items.append(("dashboards.organisation_dashboard", _l("Dashboard"), url_for("dashboards.organisation_dashboard")))
    return items


def init_app(app: Flask) -> None:
    install_template_gettext(app)
    app.jinja_env.globals.update(
        can=permissions,
        Role=Role,
        asset_url=asset_url,
        navigation=navigation,
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        current_locale=lambda: str(get_locale()),
    )
    app.jinja_env.filters.update(
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "",
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        number=lambda value: format_decimal(value),
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.after_request
    def _cache_static(response):
        from flask import request

        if request.endpoint == "static" and request.args.get("v"):
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response
