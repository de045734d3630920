"""Password policy per OWASP ASVS 5: length (8 to 128), no composition rules, no common or username passwords."""
from __future__ import annotations

import gzip

import pytest

from app.auth.passwords import MAX_LENGTH, MIN_LENGTH, common_passwords, password_problems, verify_password
from tests.conftest import post_form
from tests.factories import PASSWORD

TOO_SHORT = "Use at least 8 characters."
TOO_LONG = "Use at most 128 characters."
TOO_COMMON = "This password is too common."
IS_USERNAME = "Do not use your username as your password."


@pytest.fixture(autouse=True)
def english(app, client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def problems(password: str, username: str | None = "maria.lopez") -> str:
    return " ".join(password_problems(password, username=username))


def test_limits_are_those_of_the_standard():
    assert (MIN_LENGTH, MAX_LENGTH) == (8, 128)


@pytest.mark.parametrize("password", [
    "sol luna",                      # 8 characters, lowercase and a space: no composition rule
    "73915284",                      # digits only
    "a" * 7 + "ñ",                   # non-ASCII counts as one character
    "el perro de mi abuela se llama Canelo",
    "x" * 64,
    "una frase larga " * 8,          # exactly 128
    "        espacios",              # leading spaces are part of the password
])
def test_acceptable_passwords(password):
    assert len(password) <= 128
    assert password_problems(password, username="maria.lopez") == []


@pytest.mark.parametrize("password, message", [
    ("", TOO_SHORT),
    ("corto77", TOO_SHORT),
    ("ñandú", TOO_SHORT),
    ("a" * 129, TOO_LONG),
    ("password", TOO_COMMON),
    ("PassWord", TOO_COMMON),
    ("iloveyou", TOO_COMMON),
    ("contraseña", TOO_COMMON),
    ("12345678", TOO_COMMON),
    ("maria.lopez", IS_USERNAME),
    ("Maria.Lopez", IS_USERNAME),
])
def test_refused_passwords_say_why(password, message):
    assert message in problems(password)


def test_every_entry_of_the_bundled_list_is_refused():
    from app.auth import passwords

    with gzip.open(passwords._COMMON, "rt", encoding="utf-8") as handle:
        entries = [line.strip() for line in handle if line.strip()]
    assert len(entries) > 5000
    assert all(len(entry) >= MIN_LENGTH for entry in entries)
    assert set(entries) == common_passwords()
    refused = [entry for entry in entries if TOO_COMMON in problems(entry, username=None)]
    assert len(refused) == len(entries)


def test_set_password_refuses_a_bad_password_and_keeps_the_old_one(db_session, make_user):
    from app.auth.services import PasswordPolicyError, set_password

    user = make_user("trainee", username="maria.lopez")
    old_hash = user.password_hash
    with pytest.raises(PasswordPolicyError) as error:
        set_password(user, "Maria.Lopez")
    assert IS_USERNAME in " ".join(error.value.problems)
    assert user.password_hash == old_hash


def test_a_128_character_password_works_whole_and_is_not_truncated(client, db_session, make_user):
    from app.auth.services import set_password

    user = make_user("trainee")
    long_password = "Hoy aprendí a escuchar sin juzgar. " * 4
    long_password = long_password[:128]
    set_password(user, long_password)
    assert verify_password(user.password_hash, long_password)
    assert not verify_password(user.password_hash, long_password[:127])
    assert not verify_password(user.password_hash, long_password[:72])

    response = post_form(client, "/login", {"username": user.username, "password": long_password})
    assert response.status_code == 302


def test_change_password_page_shows_the_policy_problems(client, make_user, login):
    user = make_user("trainee", username="maria.lopez", preferred_language="en")
    login(user)
    response = post_form(client, "/account", {"current": PASSWORD, "password": "password", "confirm": "password"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert TOO_COMMON in page
    assert "Please correct the fields marked below." in page
    assert client.get("/account").status_code == 200  # still signed in
    assert verify_password(user.password_hash, PASSWORD)
