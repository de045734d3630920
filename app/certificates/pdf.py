"""The certificate PDF: rendered once, at issue time, by WeasyPrint from certificates/<template>/.

WeasyPrint (and Pango behind it) is imported on first use, not when a web worker starts. Each
process keeps one FontConfiguration and one parsed stylesheet per template: parsing the CSS and
loading its fonts is most of the cost of a first certificate. The URL fetcher serves only the
template's own files and ``data:`` URLs, so a name or a course title can never make the
renderer reach the network or the server's disk.
"""
from __future__ import annotations

import atexit
import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import force_locale
from jinja2 import FileSystemLoader

from app import config
from app.certificates import qr
from app.core.i18n import _, format_date

if TYPE_CHECKING:
    from app.certificates.models import Certificate

log = logging.getLogger(__name__)

TEMPLATES_ROOT = config.ROOT / "certificates"
_lock = threading.Lock()
_state: dict[str, Any] = {"font_config": None, "stylesheets": {}, "environments": {}, "checked_subsetting": False}


class TemplateFetchError(ValueError):
    """The template asked for something outside its own folder (or not a data: URL)."""


def verification_url(token: str) -> str:
    return f"{current_app.config['BASE_URL']}/verify/{token}"


def template_folder(name: str) -> Path:
    folder = (TEMPLATES_ROOT / name).resolve()
    if folder.parent != TEMPLATES_ROOT.resolve() or not (folder / "template.html").is_file():
        raise LookupError(f"no certificate template {name!r} in {TEMPLATES_ROOT}")
    return folder


def template_fetcher(folder: Path, *also: Path):
    """A WeasyPrint URL fetcher confined to ``folder`` (and the ``also`` folders) and ``data:`` URLs."""
    from weasyprint.urls import URLFetcher

    roots = [folder.resolve(), *(extra.resolve() for extra in also)]

    class TemplateOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(root) for root in roots) and path.is_file():
                    return super().fetch(url, headers)
            raise TemplateFetchError(f"certificate templates may not load {url}")

    return TemplateOnlyFetcher(allowed_protocols=("file", "data"), timeout=1)


def _weasyprint_parts(folder: Path) -> tuple[Any, Any, Any, Any]:
    """(weasyprint module, font configuration, parsed stylesheet, URL fetcher): built once per
    process (a fetcher builds a urllib opener, which is not free either)."""
    import weasyprint

    font_config = shared_font_config()
    with _lock:
        parts = _state["stylesheets"].get(folder)
        if parts is None:
            fetcher = template_fetcher(folder)
            parts = _state["stylesheets"][folder] = (weasyprint.CSS(
                filename=str(folder / "style.css"), font_config=font_config, url_fetcher=fetcher), fetcher)
    return (weasyprint, font_config, *parts)


def warm_up() -> None:
    """Import WeasyPrint and parse every template's stylesheet now (before forking render processes)."""
    for folder in sorted(TEMPLATES_ROOT.iterdir()):
        if (folder / "template.html").is_file() and (folder / "style.css").is_file():
            _weasyprint_parts(template_folder(folder.name))


def shared_font_config() -> Any:
    """The process's one WeasyPrint FontConfiguration (certificates and dashboard reports share it)."""
    from weasyprint.text.fonts import FontConfiguration

    with _lock:
        if not _state["checked_subsetting"]:
            _state["checked_subsetting"] = True
            from weasyprint.text.ffi import harfbuzz_subset

            if harfbuzz_subset is None:
                log.warning("libharfbuzz-subset0 is missing: PDF fonts are subset in pure Python, "
                            "about 6x slower. Install it (make install does).")
        if _state["font_config"] is None:
            _state["font_config"] = FontConfiguration()
            # Let it go while the interpreter is whole: at shutdown its __del__ finds ffi gone.
            atexit.register(_state.update, font_config=None, stylesheets={})
        return _state["font_config"]


@dataclass(frozen=True)
class CertificateFace:
    """What the printed certificate shows, read from the record's snapshot (never from live rows)."""

    name: str
    course_title: str
    course_version: str
    organisation: str
    signatories: list[dict[str, str]]
    code: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime | None
    hours: str
    url: str


def _text(value: Any, key: str = "title") -> str:
    if isinstance(value, dict):
        return str(value.get(key) or value.get("name") or "")
    return "" if value is None else str(value)


def certificate_face(certificate: Certificate) -> CertificateFace:
    snapshot = certificate.snapshot or {}
    course = snapshot.get("course")
    return CertificateFace(
        name=_text(snapshot.get("name") or snapshot.get("trainee_name") or snapshot.get("trainee"), "name"),
        course_title=_text(snapshot.get("course_title") or course),
        course_version=_text(snapshot.get("course_version")
                             or (course.get("version") if isinstance(course, dict) else "")),
        organisation=_text(snapshot.get("organisation_name") or snapshot.get("organisation"), "name"),
        signatories=[s for s in snapshot.get("signatories") or [] if isinstance(s, dict)],
        code=certificate.code,
        issued_at=certificate.issued_at,
        valid_from=certificate.valid_from,
        valid_until=certificate.valid_until,
        hours=_text(snapshot.get("hours")),
        url=verification_url(certificate.token),
    )


def _template_env(folder: Path) -> Any:
    """One Jinja environment per template folder and process, so the template is compiled once."""
    with _lock:
        env = _state["environments"].get(folder)
        if env is None:
            env = current_app.jinja_env.overlay(loader=FileSystemLoader(str(folder)), autoescape=True)
            _state["environments"][folder] = env
    return env


def certificate_labels() -> dict[str, str]:
    """The printed words, here rather than in the template so that they are extracted for translation."""
    return {
        "title": _("Certificate"),
        "certifies": _("This certifies that"),
        "completed": _("has met every requirement of the course"),
        "version": _("Version"),
        "issued": _("Issued on"),
        "valid_until": _("Valid until"),
        "no_expiry": _("Does not expire"),
        "code": _("Certificate code"),
        "verify": _("Check that this certificate is genuine and still valid:"),
    }


def render_certificate_html(certificate: Certificate, folder: Path) -> str:
    """The certificate's HTML, in the certificate's language (not the requester's)."""
    env = _template_env(folder)
    face = certificate_face(certificate)
    with force_locale(certificate.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        return env.get_template("template.html").render(
            face=face,
            language=certificate.language,
            qr=qr.svg_data_url(face.url),
            issued_on=format_date(face.issued_at, "long"),
            valid_until=format_date(face.valid_until, "long") if face.valid_until else None,
            labels=certificate_labels(),
        )


def render_certificate_pdf(certificate: Certificate, template: str = "default") -> bytes:
    """A4 landscape PDF for ``certificate``; call once at issue time and store the bytes."""
    folder = template_folder(template)
    weasyprint, font_config, stylesheet, fetcher = _weasyprint_parts(folder)
    html = render_certificate_html(certificate, folder)
    document = weasyprint.HTML(string=html, base_url=folder.as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], font_config=font_config)
