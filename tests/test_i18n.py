"""Spanish first, English too: the catalogs are complete and the right language is chosen."""
from __future__ import annotations

from datetime import date

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.conftest import ROOT, post_form

KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def _code_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        ROOT / "app", METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {"extensions": "jinja2.ext.do"}}
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _catalog(language: str):
    with (ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle)


def test_every_string_in_the_code_has_a_spanish_translation():
    catalog = _catalog("es")
    missing = sorted(m for m in _code_messages() if not catalog.get(m) or not catalog.get(m).string)
    fuzzy = sorted(m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.fuzzy)
    assert not missing, f"{len(missing)} strings have no Spanish translation (run make translations-update): {missing[:15]}"
    assert not fuzzy, f"fuzzy translations: {fuzzy[:10]}"


def test_spanish_is_the_default(spanish_client):
    page = spanish_client.get("/login")
    html = page.get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "Iniciar sesión" in html


def test_accept_language_english(client):
    html = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in" in html


def test_language_switch_is_remembered(spanish_client):
    post_form(spanish_client, "/language", {"language": "en", "next": "/login"})
    html = spanish_client.get("/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en">' in html


def test_user_preference_beats_the_browser(client, make_user, login):
    user = make_user("trainee", preferred_language="en")
    login(user)
    html = client.get("/", headers={"Accept-Language": "es-MX"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "My training" in html


def test_dates_are_localized(app):
    from app.core.i18n import format_date

    with app.app_context(), app.test_request_context(headers={"Accept-Language": "es"}):
        assert format_date(date(2026, 10, 5), "long") == "5 de octubre de 2026"
    with app.app_context(), app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_date(date(2026, 10, 5), "long") == "October 5, 2026"


def test_language_chosen_before_signing_in_is_kept(spanish_client, make_user, db_session):
    user = make_user("trainee", preferred_language="es")
    post_form(spanish_client, "/language", {"language": "en", "next": "/login"})
    response = post_form(spanish_client, "/login", {"username": user.username, "password": "correct horse battery"})
    assert response.status_code == 302
    html = spanish_client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html and "My training" in html
    db_session.refresh(user)
    assert user.preferred_language == "en"
