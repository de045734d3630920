"""Printable dashboard reports (the report that goes to the Ministry): HTML templates rendered by WeasyPrint.

The machinery is the certificates' (app/certificates/pdf.py): WeasyPrint imported on first use,
one FontConfiguration per process, a URL fetcher confined to the report's asset folder (plus the
bundled Noto fonts of the default certificate) and ``data:`` URLs, so no figure or name can make
the renderer reach the network or the server's disk. Charts are inline SVG, which WeasyPrint draws.

A report template extends ``dashboards/_report_base.html``; it receives its own context plus
``generated_at`` (shown in every page footer, with the page numbers).
"""
from __future__ import annotations

import threading
from typing import Any

from flask import render_template

from app import config
from app.certificates.pdf import shared_font_config, template_fetcher
from app.core.db import utcnow

ASSETS = config.ROOT / "app" / "dashboards" / "report_assets"
FONTS = config.ROOT / "certificates" / "default" / "fonts"
_lock = threading.Lock()
_stylesheet: dict[str, Any] = {}


def _report_stylesheet() -> tuple[Any, Any, Any]:
    """(weasyprint module, font configuration, parsed report.css): parsed once per process."""
    import weasyprint

    font_config = shared_font_config()
    with _lock:
        if "css" not in _stylesheet:
            _stylesheet["css"] = weasyprint.CSS(filename=str(ASSETS / "report.css"), font_config=font_config,
                                                url_fetcher=template_fetcher(ASSETS, FONTS))
    return weasyprint, font_config, _stylesheet["css"]


def render_report_pdf(template_name: str, **context: Any) -> bytes:
    """An A4 portrait PDF of ``template_name`` (a Flask template) rendered with ``context``."""
    weasyprint, font_config, stylesheet = _report_stylesheet()
    context.setdefault("generated_at", utcnow())
    html = render_template(template_name, **context)
    fetcher = template_fetcher(ASSETS, FONTS)
    document = weasyprint.HTML(string=html, base_url=ASSETS.as_uri() + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[stylesheet], font_config=font_config)
