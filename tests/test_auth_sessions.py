"""Login sessions: a new id at every login, logout that really ends, idle and absolute timeouts,
remote end on deactivation and password change, and the cookie's flags."""
from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import UserSession
from app.core.db import utcnow
from tests.conftest import csrf_token, post_form
from tests.factories import PASSWORD

COOKIE = "acompana_session"
EXPIRED = "Your session ended after a period without activity. Please sign in again."


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def person(make_user):
    return make_user("trainee", preferred_language="en", full_name="Elena Sántiz")


def another_client(app):
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return other


def cookie_session(app, client) -> dict:
    """What the signed session cookie holds, read as the server would."""
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def sessions_of(db_session, user) -> list[UserSession]:
    return list(db_session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)
                                   .order_by(UserSession.id).execution_options(populate_existing=True)))


def sent_to_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


# -- a new session id at login, and a logout that ends it ----------------------------------

def test_login_starts_a_new_session_and_drops_what_was_there(app, client, db_session, person, login):
    client.get("/login")
    with client.session_transaction() as before:
        before["sid"] = "chosen-by-someone-else"
        before["left_behind"] = "by the previous person on this phone"
    login(person)
    first = cookie_session(app, client)
    assert first["sid"] != "chosen-by-someone-else"
    assert "left_behind" not in first
    assert len(first["sid"]) >= 40

    post_form(client, "/logout", {"csrf_token": csrf_token(client, "/account")})
    login(person)
    second = cookie_session(app, client)
    assert second["sid"] != first["sid"]

    rows = sessions_of(db_session, person)
    assert [row.token_hash for row in rows] == [hashlib.sha256(s["sid"].encode()).hexdigest() for s in (first, second)]
    assert rows[0].ended_at is not None and rows[1].ended_at is None
    assert rows[1].ip == "127.0.0.1"


def test_logout_is_a_post_and_the_old_cookie_stops_working(app, client, db_session, person, login):
    login(person)
    old_cookie = client.get_cookie(COOKIE).value
    assert client.get("/logout").status_code == 405

    response = post_form(client, "/logout", {"csrf_token": csrf_token(client, "/account")})
    assert sent_to_login(response)
    assert "You have signed out." in client.get("/login").get_data(as_text=True)
    assert sent_to_login(client.get("/account"))

    replay = another_client(app)
    replay.set_cookie(COOKIE, old_cookie)
    assert sent_to_login(replay.get("/account"))
    assert sessions_of(db_session, person)[0].ended_at is not None


def test_logout_ends_only_this_device(app, client, person, login):
    phone = another_client(app)
    login(person)
    login(person, c=phone)
    post_form(client, "/logout", {"csrf_token": csrf_token(client, "/account")})
    assert sent_to_login(client.get("/account"))
    assert phone.get("/account").status_code == 200


def test_a_tampered_cookie_is_not_accepted(app, client, person, login):
    login(person)
    value = client.get_cookie(COOKIE).value
    payload, _, signature = value.rpartition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    client.set_cookie(COOKIE, forged)
    assert sent_to_login(client.get("/account"))


# -- timeouts ------------------------------------------------------------------------------

def set_last_seen(client, seconds_ago: int) -> None:
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - seconds_ago


def test_idle_session_ends_after_the_timeout(client, person, login):
    login(person)
    set_last_seen(client, 31 * 60)
    response = client.get("/account")
    assert sent_to_login(response)
    assert EXPIRED in client.get(response.headers["Location"]).get_data(as_text=True)
    assert sent_to_login(client.get("/account"))


def test_activity_within_the_idle_timeout_keeps_the_session(app, client, person, login):
    login(person)
    set_last_seen(client, 29 * 60)
    assert client.get("/account").status_code == 200
    assert int(time.time()) - cookie_session(app, client)["seen"] < 60  # the request counted as activity
    set_last_seen(client, 29 * 60)
    assert client.get("/").status_code == 200


def test_idle_timeout_follows_the_configuration(app, client, person, login, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_IDLE_TIMEOUT", timedelta(minutes=5))
    login(person)
    set_last_seen(client, 4 * 60)
    assert client.get("/account").status_code == 200
    set_last_seen(client, 6 * 60)
    assert sent_to_login(client.get("/account"))


def test_session_ends_at_the_absolute_timeout_even_when_active(app, client, db_session, person, login):
    login(person)
    limit = app.config["SESSION_ABSOLUTE_TIMEOUT"]
    db_session.execute(sa.update(UserSession).values(created_at=utcnow() - limit + timedelta(minutes=1)))
    assert client.get("/account").status_code == 200
    db_session.execute(sa.update(UserSession).values(created_at=utcnow() - limit - timedelta(minutes=1)))
    assert sent_to_login(client.get("/account"))


def test_timeouts_come_from_the_environment(monkeypatch):
    from app.config import from_environment

    monkeypatch.delenv("SESSION_IDLE_MINUTES", raising=False)
    monkeypatch.delenv("SESSION_ABSOLUTE_MINUTES", raising=False)
    defaults = from_environment()
    assert defaults["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
    assert defaults["SESSION_ABSOLUTE_TIMEOUT"] == timedelta(hours=12)

    monkeypatch.setenv("SESSION_IDLE_MINUTES", "10")
    monkeypatch.setenv("SESSION_ABSOLUTE_MINUTES", "240")
    configured = from_environment()
    assert configured["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=10)
    assert configured["SESSION_ABSOLUTE_TIMEOUT"] == timedelta(hours=4)


# -- ending sessions from elsewhere --------------------------------------------------------

def test_deactivating_a_user_ends_their_sessions(app, client, db_session, person, login):
    from app.auth.services import deactivate_user

    phone = another_client(app)
    login(person)
    login(person, c=phone)
    deactivate_user(person)
    assert sent_to_login(client.get("/account"))
    assert sent_to_login(phone.get("/"))
    assert all(row.ended_at is not None for row in sessions_of(db_session, person))


def test_reactivated_user_signs_in_again_but_old_sessions_stay_ended(app, client, person, login):
    from app.auth.services import deactivate_user, reactivate_user

    login(person)
    old_cookie = client.get_cookie(COOKIE).value
    deactivate_user(person)
    reactivate_user(person)
    stale = another_client(app)
    stale.set_cookie(COOKIE, old_cookie)
    assert sent_to_login(stale.get("/account"))
    login(person, c=another_client(app))


def test_changing_the_password_ends_the_other_sessions(app, client, db_session, person, login):
    phone = another_client(app)
    login(person)
    login(person, c=phone)
    new_password = "mi nueva contraseña segura"
    response = post_form(client, "/account", {"current": PASSWORD, "password": new_password, "confirm": new_password})
    assert response.status_code == 302
    assert "Other devices have been signed out." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert sent_to_login(phone.get("/account"))

    fresh = another_client(app)
    assert post_form(fresh, "/login", {"username": person.username, "password": PASSWORD}).status_code == 401
    assert post_form(fresh, "/login", {"username": person.username, "password": new_password}).status_code == 302


def test_wrong_current_password_changes_nothing_and_is_throttled(app, client, db_session, person, login):
    login(person)
    free = app.config["LOGIN_THROTTLE"]["account_free"]
    attempt = {"current": "not my password", "password": "otra frase larga", "confirm": "otra frase larga"}
    for _ in range(free):
        response = post_form(client, "/account", attempt)
        assert response.status_code == 422
        assert "The current password is not correct." in response.get_data(as_text=True)
    right = {**attempt, "current": PASSWORD}
    response = post_form(client, "/account", right)
    assert response.status_code == 429
    assert "Too many attempts." in response.get_data(as_text=True)
    fresh = another_client(app)
    assert post_form(fresh, "/login", {"username": person.username, "password": PASSWORD}).status_code == 302


# -- the cookie ----------------------------------------------------------------------------

def session_cookie_header(response) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    assert headers, response.headers
    return headers[-1]


def test_session_cookie_is_httponly_and_samesite_lax(client, person):
    response = post_form(client, "/login", {"username": person.username, "password": PASSWORD})
    header = session_cookie_header(response)
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header  # BASE_URL is http here; a Secure cookie would never come back
    assert "Strict-Transport-Security" not in response.headers


def test_session_cookie_is_secure_when_the_site_is_https(tmp_path, monkeypatch):
    from app import create_app

    monkeypatch.setenv("BASE_URL", "https://acompana.example.org")
    secure_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'secure.db'}"})
    assert secure_app.config["SESSION_COOKIE_SECURE"] is True
    response = secure_app.test_client().get("/login", base_url="https://acompana.example.org")
    header = session_cookie_header(response)
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
