"""Signing in by username or email, throttling with backoff kept in the database, and the audit of every attempt."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import LoginThrottle
from app.core.audit import AuditEvent
from app.core.db import utcnow
from tests.conftest import post_form
from tests.factories import PASSWORD

WRONG = "not the right password"


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def person(make_user):
    return make_user("trainee", username="rosa.vazquez", email="Rosa.Vazquez@Example.org",
                     full_name="Rosa Vázquez", preferred_language="en")


@pytest.fixture
def throttle_settings(app):
    return app.config["LOGIN_THROTTLE"]


def sign_in(client, username: str, password: str = PASSWORD, **kwargs):
    return post_form(client, "/login", {"username": username, "password": password}, **kwargs)


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def throttle_row(db_session, key: str) -> LoginThrottle | None:
    return db_session.scalar(sa.select(LoginThrottle).where(LoginThrottle.key == key)
                             .execution_options(populate_existing=True))


def actions(db_session) -> list[str]:
    return list(db_session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def wait_in(response) -> int:
    match = re.search(r"Wait (\d+) seconds", response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return int(match.group(1))


# -- who can sign in -----------------------------------------------------------------------

@pytest.mark.parametrize("identifier", [
    "rosa.vazquez", "ROSA.Vazquez", "  rosa.vazquez ", "rosa.vazquez@example.org", "ROSA.VAZQUEZ@EXAMPLE.ORG",
])
def test_sign_in_by_username_or_email_in_any_case(client, person, identifier):
    response = sign_in(client, identifier)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Rosa Vázquez" in page


@pytest.mark.parametrize("identifier, password", [
    ("rosa.vazquez", WRONG),
    ("rosa.vazquez", PASSWORD.upper()),
    ("rosa.vazquez", PASSWORD + " "),
    ("nobody.here", PASSWORD),
])
def test_wrong_password_or_unknown_user_gets_the_same_refusal(client, person, identifier, password):
    response = sign_in(client, identifier, password)
    assert response.status_code == 401
    assert "The username or password is not correct." in response.get_data(as_text=True)
    assert not signed_in(client)


def test_deactivated_account_cannot_sign_in_with_its_password(client, make_user):
    gone = make_user("trainee", is_active_account=False)
    response = sign_in(client, gone.username)
    assert response.status_code == 401
    assert "The username or password is not correct." in response.get_data(as_text=True)
    assert not signed_in(client)


def test_passwords_are_stored_as_scrypt_hashes(db_session, person):
    from app.auth.services import set_password

    set_password(person, "un árbol junto al río")
    assert person.password_hash.startswith("scrypt:")
    assert "árbol" not in person.password_hash


def test_signed_in_user_visiting_login_goes_home(client, person, login):
    login(person)
    response = client.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_page_inside_the_site_is_honoured(client, person):
    response = post_form(client, "/login?next=/account",
                         {"username": person.username, "password": PASSWORD, "next": "/account"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example", "javascript:alert(1)",
    "http:/evil.example",
])
def test_next_page_outside_the_site_is_ignored(client, person, target):
    response = post_form(client, "/login", {"username": person.username, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# -- every attempt is audited --------------------------------------------------------------

def test_successful_sign_in_is_audited(client, db_session, person):
    sign_in(client, person.username)
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "login.success"))
    assert event.actor_id == person.id
    assert event.object_type == "User" and event.object_id == str(person.id)
    assert event.organisation_id == person.organisation_id
    assert event.ip == "127.0.0.1"


def test_failed_sign_in_is_audited_for_known_and_unknown_names(client, db_session, person):
    sign_in(client, person.username, WRONG)
    sign_in(client, "ghost.user", WRONG)
    events = list(db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "login.failure")
                                     .order_by(AuditEvent.id)))
    assert [(e.object_id, e.after["identifier"], e.after["reason"]) for e in events] == [
        (str(person.id), person.username, "bad_credentials"),
        (None, "ghost.user", "bad_credentials"),
    ]
    assert all(e.actor_id is None for e in events)


def test_inactive_account_with_right_password_is_audited_as_inactive(client, db_session, make_user):
    gone = make_user("trainee", is_active_account=False)
    sign_in(client, gone.username)
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "login.failure"))
    assert event.after["reason"] == "inactive"


def test_throttled_attempt_is_audited(client, db_session, person, throttle_settings):
    for _ in range(throttle_settings["account_free"]):
        sign_in(client, person.username, WRONG)
    sign_in(client, person.username)
    assert actions(db_session) == ["login.failure"] * throttle_settings["account_free"] + ["login.throttled"]
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "login.throttled"))
    assert event.object_id == str(person.id)
    assert event.after["wait"] > 0


# -- throttling: backoff, not lock-out -----------------------------------------------------

def test_after_the_free_failures_even_the_right_password_must_wait(client, db_session, person, throttle_settings):
    free = throttle_settings["account_free"]
    for _ in range(free):
        assert sign_in(client, person.username, WRONG).status_code == 401

    response = sign_in(client, person.username)
    assert response.status_code == 429
    assert "Too many attempts." in response.get_data(as_text=True)
    first = throttle_settings["first_delay_seconds"]
    assert first - 5 <= wait_in(response) <= first
    assert not signed_in(client)


def test_after_the_wait_the_right_password_works_and_clears_the_account_counter(client, db_session, person,
                                                                                 throttle_settings):
    free = throttle_settings["account_free"]
    for _ in range(free):
        sign_in(client, person.username, WRONG)
    account_key, ip_key = f"user:{person.id}", "ip:127.0.0.1"
    assert throttle_row(db_session, account_key).failures == free

    db_session.execute(sa.update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    response = sign_in(client, person.username)
    assert response.status_code == 302
    assert signed_in(client)
    assert throttle_row(db_session, account_key) is None
    assert throttle_row(db_session, ip_key).failures == free  # one success proves little about an address


def test_username_and_email_share_one_counter(client, person, throttle_settings):
    free = throttle_settings["account_free"]
    for attempt in range(free):
        sign_in(client, person.username if attempt % 2 else person.email, WRONG)
    assert sign_in(client, person.email).status_code == 429
    assert sign_in(client, person.username.upper()).status_code == 429


def test_each_further_failure_doubles_the_wait_up_to_a_cap(client, db_session, person, throttle_settings):
    free, first = throttle_settings["account_free"], throttle_settings["first_delay_seconds"]
    for _ in range(free):
        sign_in(client, person.username, WRONG)
    waits = []
    for _ in range(3):
        db_session.execute(sa.update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
        assert sign_in(client, person.username, WRONG).status_code == 401
        waits.append(wait_in(sign_in(client, person.username)))
    assert [round(w / first) for w in waits] == [2, 4, 8]

    db_session.execute(sa.update(LoginThrottle).values(failures=60, blocked_until=utcnow() - timedelta(seconds=1)))
    sign_in(client, person.username, WRONG)
    capped = wait_in(sign_in(client, person.username))
    assert throttle_settings["max_delay_seconds"] - 5 <= capped <= throttle_settings["max_delay_seconds"]


def test_throttled_attempts_do_not_lengthen_the_wait(client, db_session, person, throttle_settings):
    free = throttle_settings["account_free"]
    for _ in range(free):
        sign_in(client, person.username, WRONG)
    before = throttle_row(db_session, f"user:{person.id}").blocked_until
    for _ in range(5):
        assert sign_in(client, person.username, WRONG).status_code == 429
    row = throttle_row(db_session, f"user:{person.id}")
    assert (row.failures, row.blocked_until) == (free, before)


def test_the_counter_starts_again_when_the_window_has_passed(client, db_session, person, throttle_settings):
    free = throttle_settings["account_free"]
    for _ in range(free):
        sign_in(client, person.username, WRONG)
    long_ago = utcnow() - timedelta(minutes=throttle_settings["window_minutes"] + 1)
    db_session.execute(sa.update(LoginThrottle).values(window_started_at=long_ago, blocked_until=long_ago))

    assert sign_in(client, person.username, WRONG).status_code == 401
    row = throttle_row(db_session, f"user:{person.id}")
    assert row.failures == 1 and row.blocked_until is None
    assert sign_in(client, person.username).status_code == 302


def test_one_address_spraying_many_accounts_is_slowed_but_others_are_not(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE", {**app.config["LOGIN_THROTTLE"], "ip_free": 3})
    people = [make_user("trainee") for _ in range(4)]
    client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    for target in people[:3]:
        assert sign_in(client, target.username, WRONG).status_code == 401
    assert sign_in(client, people[3].username).status_code == 429

    elsewhere = app.test_client()
    elsewhere.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.8")
    assert sign_in(elsewhere, people[3].username).status_code == 302


# -- behind a reverse proxy ----------------------------------------------------------------

@pytest.mark.parametrize("trusted, expected_ip", [("0", "127.0.0.1"), ("1", "198.51.100.23")])
def test_client_address_comes_from_the_proxy_only_when_configured(tmp_path, monkeypatch, trusted, expected_ip):
    """Behind nginx every request comes from 127.0.0.1: one attacker must not throttle everyone.
    Without a configured proxy the header is ignored, so nobody can pick their own address."""
    from app import create_app
    from app.extensions import db

    url = f"sqlite:///{tmp_path / 'proxied.db'}"
    monkeypatch.setenv("TRUSTED_PROXIES", trusted)
    proxied = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with proxied.app_context():
        db.create_all()
    client = proxied.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.23"
    assert sign_in(client, "ghost.user", WRONG).status_code == 401
    with proxied.app_context():
        db.engine.dispose()

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            ips = list(conn.scalars(sa.select(AuditEvent.ip).where(AuditEvent.action == "login.failure")))
            keys = set(conn.scalars(sa.select(LoginThrottle.key)))
    finally:
        engine.dispose()
    assert ips == [expected_ip]
    assert keys == {"account:ghost.user", f"ip:{expected_ip}"}


def test_usernames_and_emails_are_stored_lower_case_and_still_sign_in(client, make_user):
    user = make_user("trainee", username=" Ana.Torres ", email="Ana.Torres@Example.ORG", full_name="Ana Torres")
    assert (user.username, user.email) == ("ana.torres", "ana.torres@example.org")
    for identifier in ("ANA.TORRES", "Ana.Torres@example.org"):
        assert sign_in(client, identifier).status_code == 302, identifier
        assert "Ana Torres" in client.get("/").get_data(as_text=True)
        post_form(client, "/logout")
        assert not signed_in(client)
