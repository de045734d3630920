"""Password reset without email (a one-time code from an admin or trainer) and by email when mail is set up."""
from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.models import ResetCode
from app.auth.passwords import verify_password
from app.core.audit import AuditEvent
from app.core.db import utcnow
from tests.conftest import post_form
from tests.factories import PASSWORD
from tests.smtp_server import SMTPReceiver

NEW_PASSWORD = "caminar juntas al río"
INVALID = "This code is not valid for this user, or it has expired or been used. Ask for a new one."
CODE_RE = re.compile(r"\b[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}\b")


@pytest.fixture(autouse=True)
def english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def trainee(make_user):
    return make_user("trainee", username="juana.diaz", email="juana@example.org", preferred_language="en")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def issue(target, actor):
    from app.auth.services import issue_reset_code

    return issue_reset_code(target, actor)


def reset(client, username: str, code: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return post_form(client, "/reset", {"username": username, "code": code, "password": password,
                                        "confirm": password if confirm is None else confirm})


def can_sign_in(app, username: str, password: str) -> bool:
    fresh = app.test_client()
    return post_form(fresh, "/login", {"username": username, "password": password}).status_code == 302


# -- the code ------------------------------------------------------------------------------

def test_a_code_is_readable_stored_only_as_a_hash_and_lasts_a_day(db_session, trainee, admin):
    code = issue(trainee, admin)
    assert CODE_RE.fullmatch(code)
    row = db_session.scalar(sa.select(ResetCode).where(ResetCode.user_id == trainee.id))
    assert code not in row.code_hash and code.replace("-", "") not in row.code_hash
    assert row.created_by_id == admin.id and row.used_at is None
    assert row.expires_at - row.created_at == timedelta(hours=24)
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "password.reset_code_issued"))
    assert (event.object_id, event.actor_id) == (str(trainee.id), admin.id)
    assert code not in str(event.after)


def test_codes_differ_each_time(db_session, trainee, admin):
    codes = {issue(trainee, admin) for _ in range(5)}
    assert len(codes) == 5


# -- the /reset page, end to end -----------------------------------------------------------

def test_reset_page_sets_the_new_password(app, client, db_session, trainee, admin):
    code = issue(trainee, admin)
    assert "Use the reset code you were given." in client.get("/reset").get_data(as_text=True)
    response = reset(client, "juana.diaz", code)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert "Your password has been changed. You can sign in now." in client.get("/login").get_data(as_text=True)
    assert can_sign_in(app, "juana.diaz", NEW_PASSWORD)
    assert not can_sign_in(app, "juana.diaz", PASSWORD)
    assert db_session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "password.reset")) is not None


@pytest.mark.parametrize("typed", [
    lambda code: code.lower(),
    lambda code: code.replace("-", " "),
    lambda code: " " + code.replace("-", "") + " ",
    lambda code: code.replace("0", "O").replace("1", "l"),
])
def test_the_code_can_be_typed_loosely(app, client, trainee, admin, typed):
    code = issue(trainee, admin)
    assert reset(client, "JUANA@example.org", typed(code)).status_code == 302
    assert can_sign_in(app, "juana.diaz", NEW_PASSWORD)


def test_a_code_works_once(app, client, trainee, admin):
    code = issue(trainee, admin)
    assert reset(client, "juana.diaz", code).status_code == 302
    again = reset(client, "juana.diaz", code, password="otra frase distinta")
    assert again.status_code == 422
    assert INVALID in again.get_data(as_text=True)
    assert can_sign_in(app, "juana.diaz", NEW_PASSWORD)


def test_an_expired_code_is_refused(app, client, db_session, trainee, admin):
    code = issue(trainee, admin)
    db_session.execute(sa.update(ResetCode).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = reset(client, "juana.diaz", code)
    assert response.status_code == 422
    assert INVALID in response.get_data(as_text=True)
    assert can_sign_in(app, "juana.diaz", PASSWORD)


def test_a_new_code_invalidates_the_earlier_ones(app, client, trainee, admin):
    first = issue(trainee, admin)
    second = issue(trainee, admin)
    assert reset(client, "juana.diaz", first).status_code == 422
    assert reset(client, "juana.diaz", second).status_code == 302


def test_a_code_is_only_for_its_own_account(app, client, make_user, trainee, admin):
    other = make_user("trainee")
    code = issue(trainee, admin)
    assert reset(client, other.username, code).status_code == 422
    assert can_sign_in(app, other.username, PASSWORD)


def test_a_deactivated_account_cannot_use_a_code(app, client, trainee, admin):
    from app.auth.services import deactivate_user

    code = issue(trainee, admin)
    deactivate_user(trainee)
    assert reset(client, "juana.diaz", code).status_code == 422


def test_a_refused_new_password_keeps_the_code_usable(app, client, trainee, admin):
    code = issue(trainee, admin)
    response = reset(client, "juana.diaz", code, password="juana.diaz")
    assert response.status_code == 422
    assert "Do not use your username as your password." in response.get_data(as_text=True)
    mismatch = reset(client, "juana.diaz", code, confirm="something else")
    assert "The two passwords are not the same." in mismatch.get_data(as_text=True)
    assert reset(client, "juana.diaz", code).status_code == 302


def test_a_reset_signs_out_every_device(app, client, trainee, admin, login):
    login(trainee)
    code = issue(trainee, admin)
    elsewhere = app.test_client()
    assert reset(elsewhere, "juana.diaz", code).status_code == 302
    assert client.get("/account").headers["Location"].startswith("/login")


def test_guessing_codes_is_throttled_even_for_the_right_code(app, client, db_session, trainee, admin):
    from app.auth.models import LoginThrottle

    code = issue(trainee, admin)
    for _ in range(app.config["LOGIN_THROTTLE"]["account_free"]):
        assert reset(client, "juana.diaz", "AAAA-BBBB-CCCC-DDDD").status_code == 422
    response = reset(client, "juana.diaz", code)
    assert response.status_code == 429
    assert re.search(r"Wait \d+ seconds", response.get_data(as_text=True))
    assert not can_sign_in(app, "juana.diaz", NEW_PASSWORD)

    db_session.execute(sa.update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    assert reset(client, "juana.diaz", code).status_code == 302
    assert can_sign_in(app, "juana.diaz", NEW_PASSWORD)


# -- who may give a code -------------------------------------------------------------------

def test_who_may_issue_a_reset_code(make_org, make_user, make_cohort, trainee, admin):
    from app.core.permissions import can_issue_reset_code

    own_trainer, other_trainer = make_user("trainer"), make_user("trainer")
    make_cohort(members={"trainer": [own_trainer], "trainee": [trainee]})
    make_cohort(members={"trainer": [other_trainer]})
    supervisor = make_user("supervisor")
    foreign_admin = make_user("admin", organisation=make_org())
    assert can_issue_reset_code(admin, trainee)
    assert can_issue_reset_code(own_trainer, trainee)
    assert not can_issue_reset_code(other_trainer, trainee)
    assert not can_issue_reset_code(supervisor, trainee)
    assert not can_issue_reset_code(foreign_admin, trainee)
    assert not can_issue_reset_code(trainee, trainee)
    assert not can_issue_reset_code(own_trainer, admin)


# -- by email ------------------------------------------------------------------------------

@pytest.fixture
def smtp(app, monkeypatch):
    with SMTPReceiver() as receiver:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", receiver.port)
        monkeypatch.setitem(app.config, "MAIL_FROM", "acompana@example.org")
        yield receiver


def test_forgot_sends_a_working_code_by_email(app, client, smtp, trainee):
    assert 'href="/forgot"' in client.get("/login").get_data(as_text=True)
    page = client.get("/forgot").get_data(as_text=True)
    assert "If your account has an email address, we will send you a reset code." in page

    response = post_form(client, "/forgot", {"username": "juana.diaz"})
    assert response.status_code == 302 and response.headers["Location"] == "/reset"
    page = client.get("/reset").get_data(as_text=True)
    assert "If this account has an email address, we have sent a reset code to it." in page

    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert mail.recipients == ["juana@example.org"]
    assert mail.message["From"] == "acompana@example.org"
    assert mail.message["Subject"] == "Your Acompaña password reset code"
    assert "http://127.0.0.1:5000/reset" in mail.body
    code = CODE_RE.search(mail.body).group(0)

    assert reset(client, "juana@example.org", code).status_code == 302
    assert can_sign_in(app, "juana.diaz", NEW_PASSWORD)


@pytest.mark.parametrize("who", ["nobody.at.all", "no-email", "deactivated"])
def test_forgot_answers_the_same_when_no_mail_can_be_sent(app, client, smtp, make_user, db_session, who):
    make_user("trainee", username="no-email")
    make_user("trainee", username="deactivated", email="gone@example.org", is_active_account=False)
    response = post_form(client, "/forgot", {"username": who})
    assert response.status_code == 302 and response.headers["Location"] == "/reset"
    assert "If this account has an email address" in client.get("/reset").get_data(as_text=True)
    assert smtp.received == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ResetCode)) == 0


def test_forgot_is_throttled_so_a_mailbox_cannot_be_flooded(app, client, smtp, trainee):
    free = app.config["LOGIN_THROTTLE"]["account_free"]
    for _ in range(free):
        assert post_form(client, "/forgot", {"username": "juana.diaz"}).status_code == 302
    response = post_form(client, "/forgot", {"username": "juana@example.org"})
    assert response.status_code == 429
    assert "Too many attempts." in response.get_data(as_text=True)
    assert len(smtp.received) == free


def test_forgot_gives_the_same_answer_when_the_mail_server_is_down(app, client, trainee, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port)
    response = post_form(client, "/forgot", {"username": "juana.diaz"})
    assert response.status_code == 302 and response.headers["Location"] == "/reset"
    assert "If this account has an email address" in client.get("/reset").get_data(as_text=True)


def test_without_mail_the_forgot_page_says_to_ask_the_trainer(app, client, db_session, trainee):
    assert not app.config["MAIL_SERVER"]
    page = client.get("/forgot").get_data(as_text=True)
    assert "ask your trainer or administrator for a reset code" in page
    assert 'name="username"' not in page
    login_page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot"' not in login_page
    assert "Ask your trainer or administrator for a reset code." in login_page
    response = post_form(client, "/forgot", {"username": "juana.diaz"})
    assert response.status_code == 200
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ResetCode)) == 0
