"""Steps several journeys share, written the way a person does them: by labels and button names."""
from __future__ import annotations

import gettext
import re
from functools import lru_cache
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.page_checks import PageWatch

ROOT = Path(__file__).resolve().parents[2]
SPANISH_CATALOG = ROOT / "app" / "translations" / "es" / "LC_MESSAGES" / "messages.mo"
DEMO_PASSWORD = "acompana-demo"
DEMO_NAMES = {
    "admin": "Lucía Méndez Ruiz",
    "trainer": "Carmen Gutiérrez Solís",
    "supervisor": "Julio Pérez Aguilar",
    "trainee": "María López Hernández",
}


@lru_cache(maxsize=1)
def spanish_catalog() -> gettext.NullTranslations:
    """The compiled Spanish catalog when there is one; until then the UI shows the English msgids."""
    if not SPANISH_CATALOG.exists():
        return gettext.NullTranslations()
    with SPANISH_CATALOG.open("rb") as handle:
        return gettext.GNUTranslations(handle)


def _(msgid: str, **values) -> str:
    """A UI string as the demo users see it: their language is Spanish, and so is the browser's."""
    text = spanish_catalog().gettext(msgid)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    return spanish_catalog().ngettext(singular, plural, n) % {"num": n, **values}


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def flash(page: Page):
    """The confirmation a page shows after a change (role=status)."""
    return page.get_by_role("status")


def open_main_nav(watch: PageWatch, name: str) -> Page:
    """Follow a link of the main navigation (by its translated name) and check the page it opens."""
    page = watch.page
    page.get_by_role("navigation", name=_("Main")).get_by_role("link", name=name, exact=True).click()
    expect(heading(page)).to_have_text(name)
    watch.check()
    return page


def open_sign_in(watch: PageWatch) -> Page:
    page = watch.page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text(_("Sign in"))
    watch.check()
    return page


def submit_credentials(page: Page, username: str, password: str) -> None:
    page.get_by_label(_("Username or email")).fill(username)
    page.get_by_label(_("Password"), exact=True).fill(password)
    page.get_by_role("button", name=_("Sign in")).click()


def sign_in(watch: PageWatch, username: str, password: str = DEMO_PASSWORD) -> Page:
    """From a signed-out browser to the user's home page."""
    page = open_sign_in(watch)
    submit_credentials(page, username, password)
    name = DEMO_NAMES.get(username)
    if name:
        expect(page.get_by_role("heading", level=1)).to_have_text(_("Hello, %(name)s", name=name))
    else:
        expect(page.get_by_role("button", name=_("Sign out"))).to_be_visible()
    watch.check()
    return page


def sign_out(watch: PageWatch) -> Page:
    page = watch.page
    page.get_by_role("button", name=_("Sign out")).click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("status")).to_have_text(_("You have signed out."))
    watch.check()
    return page
