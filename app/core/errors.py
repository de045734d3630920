"""Localized error pages (HTML for people, JSON for API clients)."""
from __future__ import annotations

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.core.i18n import _l
from app.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("We could not find this page. Check the address or go back to the start.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    413: (_l("File too large"), _l("The file is too large. The limit is 8 MB.")),
    429: (_l("Too many attempts"), _l("Please wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("An error happened on our side. Nothing you typed was saved by this request. Please try again.")),
}


def _render(code: int, message: str | None = None):
    title, default_text = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"error": str(title), "status": code}, code
    return render_template("errors.html", code=code, title=title, text=message or default_text), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        from app.core.i18n import _

        return _render(400, _("Your form expired or was sent twice. Reload the page and send it again."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return _render(error.code or 500)

    @app.errorhandler(500)
    def _server(error: Exception):
        db.session.rollback()
        return _render(500)
