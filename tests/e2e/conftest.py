"""Browser fixtures: one demo server and one Chromium per session, a fresh context per test,
every journey at a desktop and a 360 px phone viewport."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.e2e.live_server import Server, prepare_demo_database
from tests.e2e.page_checks import PageWatch

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORTS = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 360, "height": 740},
}


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed
    return report


@pytest.fixture
def db_session():
    """The browser tests talk to a real server; the unit tests' rolled-back transaction does not apply."""
    yield None


@pytest.fixture(scope="session")
def live_server():
    """The app under gunicorn (2 workers) on a fresh SQLite database with the demo organisation."""
    tmp = Path(tempfile.mkdtemp(prefix="acompana-e2e-"))
    try:
        env = prepare_demo_database(tmp / "instance")
        with Server("wsgi:app", env, tmp / "gunicorn.log") as server:
            yield server
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        message = "Chromium not found: apt-get install chromium, or set CHROMIUM_PATH"
        if os.environ.get("REQUIRE_ALL_SUITES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def context(browser, base_url, viewport):
    """A fresh browser profile per test; Spanish is the browser's language, as in the field."""
    ctx = browser.new_context(base_url=base_url, viewport=VIEWPORTS[viewport], locale="es-MX",
                              timezone_id="America/Mexico_City")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def watch(request, live_server, context, base_url, viewport) -> PageWatch:
    """The page a journey drives, watched from the start; call watch.check() on each page it lands on."""
    page = context.new_page()
    watcher = PageWatch(page, base_url, phone=viewport == "phone")
    yield watcher
    if getattr(request.node, "journey_failed", True):
        print(f"--- server log (last lines) ---\n{live_server.log()}")
    else:
        watcher.assert_clean()
        watcher.assert_all_pages_checked()
