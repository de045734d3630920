"""Shared fixtures: one app per session, one rolled-back transaction per test, factories, login."""
from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parent.parent
_TMP = Path(tempfile.mkdtemp(prefix="acompana-tests-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
os.environ.setdefault("ACOMPANA_INSTANCE", str(_TMP / "instance"))
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")


def _compile_catalogs() -> None:
    """Compile translations when the .mo is missing or stale (`make install` does this too)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "app" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


_compile_catalogs()


def test_database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (and `g`), as under a real server.

    Without this, requests reuse the app context the test pushed, so `g` (the signed-in
    user, the chosen locale) would leak from one request to the next.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app():
    from app import create_app
    from app.extensions import db

    # Background work runs inline: a worker thread cannot see the test's rolled-back transaction.
    application = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": test_database_url(),
                              "CERTIFICATE_JOBS": "inline"})
    application.test_client_class = FreshContextClient
    with application.app_context():
        db.drop_all()
        db.create_all()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def db_session(app):
    """Each test runs inside one outer transaction that is rolled back: the database stays clean."""
    from app.core import page_cache
    from app.extensions import db

    with app.app_context():
        engines = db._app_engines[app]
        engine = engines[None]
        connection = engine.connect()
        # The sessions below "commit" by releasing a savepoint: that is when a write changes the
        # data generation that the page cache checks (app/core/page_cache.py).
        connection.info[page_cache.COMMITS_BY_SAVEPOINT] = True
        transaction = connection.begin()
        original = db.session
        # Flask-SQLAlchemy picks the engine per table, so the connection stands in for the engine.
        engines[None] = connection
        db.session = db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint"})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            engines[None] = engine
            transaction.rollback()
            connection.info.pop(page_cache.COMMITS_BY_SAVEPOINT, None)
            connection.close()


@pytest.fixture
def client(app):
    """A browser that prefers English, so tests read the English msgids; Spanish is tested on its own."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


@pytest.fixture
def spanish_client(app):
    """A browser that states no language preference: the app's default (Spanish) applies."""
    return app.test_client()


_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of this client's session, read from a page as a browser would."""
    page = client.get(path, follow_redirects=True)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path: str, data: dict | None = None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(path, data=data, **kwargs)


from tests.factories import *  # noqa: E402,F401,F403  (fixtures)
