"""Steps several journeys share, written the way a person does them: by labels and button names."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.page_checks import PageWatch

DEMO_PASSWORD = "acompana-demo"
DEMO_NAMES = {
    "admin": "Lucía Méndez Ruiz",
    "trainer": "Carmen Gutiérrez Solís",
    "supervisor": "Julio Pérez Aguilar",
    "trainee": "María López Hernández",
}


def open_sign_in(watch: PageWatch) -> Page:
    page = watch.page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    watch.check()
    return page


def submit_credentials(page: Page, username: str, password: str) -> None:
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(watch: PageWatch, username: str, password: str = DEMO_PASSWORD) -> Page:
    """From a signed-out browser to the user's home page."""
    page = open_sign_in(watch)
    submit_credentials(page, username, password)
    name = DEMO_NAMES.get(username)
    if name:
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {name}")
    else:
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    watch.check()
    return page


def sign_out(watch: PageWatch) -> Page:
    page = watch.page
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    watch.check()
    return page
