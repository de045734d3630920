"""Account rules: signing in, passwords, reset codes, deactivation. Services flush, never commit."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from app.auth import throttle
from app.auth.models import ResetCode, User
from app.auth.passwords import hash_password, password_problems, verify_password
from app.auth.sessions import end_user_sessions
from app.core import audit
from app.core.db import utcnow
from app.extensions import db

RESET_CODE_TTL = timedelta(hours=24)
# Crockford's base32: no I, L, O, U, so a code read aloud over the phone is not misheard.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class AccountError(Exception):
    """A rule refused the action; the message is safe to show to the user."""


class ThrottledError(AccountError):
    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


class PasswordPolicyError(AccountError):
    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    throttled_for: int = 0


def find_user(identifier: str) -> User | None:
    """Look a person up by username or email, ignoring case and surrounding spaces.

    Usernames and emails are stored lower-case, so each lookup is one step down a unique index
    (two plain statements: some planners scan the table for `username = ? OR email = ?`).
    Should a username and an email both match, the username wins.
    """
    value = identifier.strip().lower()
    if not value:
        return None
    user = db.session.scalar(sa.select(User).where(User.username == value))
    if user is None:
        user = db.session.scalar(sa.select(User).where(User.email == value))
    return user


def authenticate(identifier: str, password: str, ip: str | None) -> LoginResult:
    """Check a login attempt against throttling and the password; every attempt is audited."""
    user = find_user(identifier)
    keys = throttle.ThrottleKeys.for_login(identifier, ip, user.id if user else None)
    wait = throttle.seconds_to_wait(keys)
    org_id = user.organisation_id if user else None
    if wait:
        audit.record("login.throttled", user, organisation_id=org_id, after={"identifier": identifier[:100], "wait": wait})
        return LoginResult(None, throttled_for=wait)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.is_active:
        throttle.register_success(keys)
        audit.record("login.success", user, actor_id=user.id)
        return LoginResult(user)
    throttle.register_failure(keys)
    reason = "inactive" if ok else "bad_credentials"
    audit.record("login.failure", user, organisation_id=org_id, after={"identifier": identifier[:100], "reason": reason})
    return LoginResult(None)


def set_password(user: User, new_password: str) -> None:
    problems = password_problems(new_password, username=user.username)
    if problems:
        raise PasswordPolicyError(problems)
    user.password_hash = hash_password(new_password)
    db.session.flush()


def change_password(user: User, current_password: str, new_password: str, ip: str | None = None) -> None:
    """Change one's own password. The current password is throttled like a login, so a
    session left open on a shared phone cannot be used to guess it."""
    keys = throttle.ThrottleKeys.for_login(user.username, ip, user.id, scope="password")
    wait = throttle.seconds_to_wait(keys)
    if wait:
        raise ThrottledError(wait)
    if not verify_password(user.password_hash, current_password):
        throttle.register_failure(keys)
        audit.record("password.change_failed", user, actor_id=user.id)
        raise AccountError("current_password")
    set_password(user, new_password)
    throttle.register_success(keys)
    end_user_sessions(user, except_current=True)
    audit.record("password.changed", user, actor_id=user.id)


def _code_hash(code: str) -> str:
    normalised = code.strip().upper().replace("-", "").replace(" ", "")
    normalised = normalised.replace("O", "0").replace("I", "1").replace("L", "1")
    return hashlib.sha256(normalised.encode()).hexdigest()


def issue_reset_code(target: User, actor: User | None) -> str:
    """A one-time code (80 bits, 24 hours); any earlier unused code of the user stops working."""
    now = utcnow()
    db.session.execute(
        sa.update(ResetCode).where(ResetCode.user_id == target.id, ResetCode.used_at.is_(None)).values(used_at=now)
    )
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    db.session.add(
        ResetCode(
            user_id=target.id,
            code_hash=_code_hash(code),
            created_by_id=actor.id if actor else None,
            created_at=now,
            expires_at=now + RESET_CODE_TTL,
        )
    )
    audit.record("password.reset_code_issued", target, actor_id=actor.id if actor else None)
    db.session.flush()
    return code


def request_reset_by_email(identifier: str, ip: str | None) -> tuple[User | None, str | None]:
    """A reset code for an account that has an email address: (user, code), or (None, None).

    Every request counts against a throttle, so nobody can flood a mailbox or keep
    invalidating the code its owner is about to type.
    """
    user = find_user(identifier)
    keys = throttle.ThrottleKeys.for_login(identifier, ip, user.id if user else None, scope="forgot")
    wait = throttle.seconds_to_wait(keys)
    if wait:
        raise ThrottledError(wait)
    throttle.register_failure(keys)
    if user is None or not user.email or not user.is_active:
        return None, None
    return user, issue_reset_code(user, actor=None)


def redeem_reset_code(identifier: str, code: str, new_password: str, ip: str | None) -> User:
    """Set a new password with a reset code. Throttled like logins; the code works once."""
    user = find_user(identifier)
    keys = throttle.ThrottleKeys.for_login(identifier, ip, user.id if user else None, scope="reset")
    wait = throttle.seconds_to_wait(keys)
    if wait:
        raise ThrottledError(wait)
    now = utcnow()
    record = None
    if user is not None:
        record = db.session.scalar(
            sa.select(ResetCode).where(
                ResetCode.user_id == user.id,
                ResetCode.code_hash == _code_hash(code),
                ResetCode.used_at.is_(None),
                ResetCode.expires_at > now,
            )
        )
    if user is None or record is None or not user.is_active:
        throttle.register_failure(keys)
        audit.record("password.reset_failed", user, organisation_id=user.organisation_id if user else None,
                     after={"identifier": identifier[:100]})
        raise AccountError("invalid_code")
    set_password(user, new_password)
    record.used_at = now
    end_user_sessions(user)
    throttle.register_success(keys)
    audit.record("password.reset", user, actor_id=user.id)
    return user


def deactivate_user(user: User) -> None:
    before = {"is_active": user.is_active_account}
    user.is_active_account = False
    user.deactivated_at = utcnow()
    ended = end_user_sessions(user)
    audit.record("user.deactivated", user, before=before, after={"is_active": False, "sessions_ended": ended})
    db.session.flush()


def reactivate_user(user: User) -> None:
    user.is_active_account = True
    user.deactivated_at = None
    audit.record("user.reactivated", user, before={"is_active": False}, after={"is_active": True})
    db.session.flush()
