"""Browser-side defences and request hygiene: headers and CSP, no inline script or style, CSRF on
every form, no state change on GET, the health check, and the generated secret key."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token, post_form

ROOT = Path(__file__).resolve().parent.parent
FORM_EXPIRED = "Your form expired or was sent twice. Reload the page and send it again."


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def world(org, make_user, make_cohort, assign_supervisor):
    """An organisation with a person in every role, a cohort and a supervision pair."""
    admin = make_user("admin", preferred_language="en")
    trainer, supervisor, trainee = make_user("trainer"), make_user("supervisor"), make_user("trainee")
    cohort = make_cohort(members={"trainer": [trainer], "supervisor": [supervisor], "trainee": [trainee]})
    assign_supervisor(supervisor, trainee, cohort)
    return {"admin": admin, "trainer": trainer, "supervisor": supervisor, "trainee": trainee}


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


# -- response headers ----------------------------------------------------------------------

ANONYMOUS_PAGES = ["/login", "/reset", "/forgot", "/healthz", "/no-such-page"]
SIGNED_IN_PAGES = ["/", "/account"]


def check_headers(response) -> None:
    csp = parse_csp(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    everything = " ".join(" ".join(values) for values in csp.values())
    assert "unsafe-inline" not in everything and "unsafe-eval" not in everything
    assert "http:" not in everything and "https:" not in everything and "*" not in everything
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    if response.mimetype == "text/html":
        assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_security_headers_on_public_pages(client, path):
    check_headers(client.get(path))


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_security_headers_on_signed_in_pages(client, world, login, path):
    login(world["admin"])
    response = client.get(path)
    assert response.status_code == 200
    check_headers(response)


def test_security_headers_on_static_files_and_errors(client):
    from app.core.templating import asset_url

    with client.application.test_request_context():
        css = asset_url("css/app.css")
    with client.get(css) as response:
        assert response.status_code == 200
        check_headers(response)
        assert "immutable" in response.headers["Cache-Control"]
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "We could not find this page." in missing.get_data(as_text=True)


# -- no inline script, style or event handler ----------------------------------------------

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
TAG = re.compile(r"<[a-zA-Z][^<>]*>")
FORBIDDEN_ATTRIBUTE = re.compile(r"\s(style|on[a-z]+)\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"javascript\s*:", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    """Everything the CSP would block (or that needs 'unsafe-inline'), as found in the text."""
    found = INLINE_SCRIPT.findall(html) + STYLE_BLOCK.findall(html) + JAVASCRIPT_URL.findall(html)
    for tag in TAG.findall(html):
        if FORBIDDEN_ATTRIBUTE.search(tag):
            found.append(tag)
    return found


def test_the_detector_finds_inline_code():
    assert inline_code('<script>alert(1)</script><script src="/a.js"></script>') == ["<script>"]
    assert inline_code('<p style="color:red">') == ['<p style="color:red">']
    assert inline_code('<button type="button" onclick="go()">') == ['<button type="button" onclick="go()">']
    assert inline_code("<style>p{}</style>") == ["<style"]
    assert inline_code('<a href="javascript:void(0)">') == ["javascript:"]
    assert inline_code('<p class="stylish" data-online="1">{% if done %}</p>') == []


def templates() -> list[Path]:
    found = sorted((ROOT / "app").rglob("*.html"))
    assert len(found) >= 8
    return found


def test_no_template_has_inline_script_style_or_event_handlers():
    offenders = {str(path.relative_to(ROOT)): inline_code(path.read_text(encoding="utf-8")) for path in templates()}
    assert {path: code for path, code in offenders.items() if code} == {}


def test_no_form_field_renders_a_style_or_event_handler():
    render_kw = re.compile(r"render_kw\s*=\s*\{[^}]*\}", re.DOTALL)
    key = re.compile(r"""["'](style|on[a-z]+)["']\s*:""", re.IGNORECASE)
    offenders = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        for block in render_kw.findall(path.read_text(encoding="utf-8")):
            if key.search(block):
                offenders.append(f"{path.relative_to(ROOT)}: {block}")
    assert offenders == []


# -- CSRF ----------------------------------------------------------------------------------

def post_routes(app) -> list[str]:
    """Every URL that accepts POST, with placeholder values for its parameters."""
    from werkzeug.routing import AnyConverter

    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            values[name] = sorted(converter.items)[0] if isinstance(converter, AnyConverter) else 1
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **values))
    return sorted(set(urls))


def test_every_form_is_covered(app):
    urls = post_routes(app)
    assert {"/login", "/logout", "/reset", "/forgot", "/account", "/account/preferences", "/language"} <= set(urls)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "admin"])
def test_every_post_without_a_token_is_refused(app, client, world, login, signed_in):
    if signed_in:
        login(world["admin"])
    refused = {}
    for url in post_routes(app):
        response = client.post(url, data={"username": world["admin"].username, "password": "x"})
        refused[url] = (response.status_code, FORM_EXPIRED in response.get_data(as_text=True))
    assert refused == {url: (400, True) for url in refused}


def test_a_token_from_another_session_is_refused(app, client, world):
    stolen = csrf_token(app.test_client())
    response = client.post("/login", data={"csrf_token": stolen, "username": world["admin"].username,
                                           "password": "correct horse battery"})
    assert response.status_code == 400
    assert FORM_EXPIRED in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/logout", "/language", "/account/preferences"])
def test_state_changing_actions_refuse_get(client, world, login, path):
    login(world["admin"])
    assert client.get(path).status_code == 405
    assert client.get("/account").status_code == 200  # GET /logout did not sign out


def test_language_switch_is_a_post_with_a_token(client):
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    assert 'lang="es"' in client.get("/login").get_data(as_text=True)
    response = post_form(client, "/language", {"language": "en", "next": "/reset"})
    assert response.status_code == 302 and response.headers["Location"] == "/reset"
    page = client.get("/reset").get_data(as_text=True)
    assert '<html lang="en">' in page and "Set a new password" in page


def test_language_switch_refuses_to_leave_the_site(client):
    response = post_form(client, "/language", {"language": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


# -- GET never changes anything ------------------------------------------------------------

def get_routes(app) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods and not rule.arguments)


def snapshot(db_session) -> dict[str, list[str]]:
    """Every record, except the dashboards' derived cache (a view may fill it; it is rebuilt from the records)
    and the data generation that filling it changes (app/core/page_cache.py)."""
    from app.dashboards.models import DERIVED_TABLES
    from app.extensions import db

    return {table.name: sorted(repr(tuple(row)) for row in db_session.execute(sa.select(table)))
            for table in db.metadata.sorted_tables if table.name not in DERIVED_TABLES | {"data_generation"}}


@pytest.mark.parametrize("visitor", ["anonymous", "admin", "trainee"])
def test_no_get_route_changes_the_database(app, client, db_session, world, login, visitor):
    if visitor != "anonymous":
        login(world[visitor])
    db_session.commit()
    before = snapshot(db_session)
    answers = {path: client.get(path).status_code for path in get_routes(app)}
    assert len(answers) >= 8
    assert [path for path, status in answers.items() if status == 500] == []
    assert snapshot(db_session) == before


@pytest.mark.parametrize("visitor", ["anonymous", "admin"])
def test_no_rendered_page_has_inline_code(app, client, world, login, visitor):
    if visitor != "anonymous":
        login(world[visitor])
    offenders = {}
    for path in get_routes(app):
        response = client.get(path)
        if response.mimetype == "text/html":
            found = inline_code(response.get_data(as_text=True))
            if found:
                offenders[path] = found
    assert offenders == {}


# -- health check --------------------------------------------------------------------------

def test_healthz_reports_database_and_version_as_json(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["database_backend"] == ("postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite")
    assert body["version"] == app.config["VERSION"] and re.fullmatch(r"\d+\.\d+\.\d+", body["version"])


def test_healthz_says_when_the_database_is_unreachable(tmp_path, monkeypatch):
    from app import create_app
    from app.extensions import db

    (tmp_path / "not-a-directory").write_text("")
    broken = create_app({"TESTING": True,
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'not-a-directory' / 'x.db'}"})
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"
    with broken.app_context():
        db.engine.dispose()


# -- the secret key ------------------------------------------------------------------------

def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    from app import create_app

    instance = tmp_path / "instance"
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ACOMPANA_INSTANCE", str(instance))
    first = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.db'}"})
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 32

    second = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'k.db'}"})
    assert second.config["SECRET_KEY"] == first.config["SECRET_KEY"]
    assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]


def test_an_empty_key_file_is_refused_rather_than_used(tmp_path, monkeypatch):
    """What a worker used to find while another was still writing the file: never sign with ''."""
    from app.config import from_environment

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ACOMPANA_INSTANCE", str(tmp_path))
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(RuntimeError, match="secret_key is empty"):
        from_environment()


def test_secret_key_from_the_environment_wins(tmp_path, monkeypatch):
    from app.config import from_environment

    monkeypatch.setenv("ACOMPANA_INSTANCE", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert from_environment()["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


READ_KEY = """
import os, sys, time
from pathlib import Path
os.environ.pop("SECRET_KEY", None)
from app.config import _secret_key
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
print(_secret_key(Path(sys.argv[1])))
"""


def test_workers_starting_together_agree_on_one_secret_key(tmp_path):
    instance, go = tmp_path / "instance", tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    workers = [subprocess.Popen([sys.executable, "-c", READ_KEY, str(instance), str(go)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    time.sleep(1.0)  # let every worker import and wait at the start line
    go.touch()
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 8, [err for _, err in outputs]
    keys = {out.strip() for out, _ in outputs}
    assert keys == {(instance / "secret_key").read_text().strip()}
    assert sorted(p.name for p in instance.iterdir()) == ["secret_key"]
