"""Login throttling with exponential backoff, kept in the database so it holds across workers.

Backoff (not lock-out): once the free failures are used up every attempt waits, and each
further failure doubles the wait (capped); the counter resets when the window passes. An
attacker can slow an account down but never lock its owner out for long; the IP key slows
down one source that sprays many accounts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.auth.models import LoginThrottle
from app.core.db import utcnow
from app.extensions import db


@dataclass(frozen=True)
class ThrottleKeys:
    account: str
    ip: str | None

    @classmethod
    def for_login(cls, identifier: str, ip: str | None, user_id: int | None = None, scope: str = "") -> "ThrottleKeys":
        """Keys for one attempt. A known account is keyed by its id, so its username and its
        email share one counter; an unknown name is keyed by the name itself."""
        prefix = f"{scope}:" if scope else ""
        account = f"{prefix}user:{user_id}" if user_id is not None else f"{prefix}account:{identifier.strip().lower()[:180]}"
        return cls(account=account, ip=f"{prefix}ip:{ip}" if ip else None)

    def all(self) -> list[str]:
        return [key for key in (self.account, self.ip) if key]


def _settings() -> dict:
    return current_app.config["LOGIN_THROTTLE"]


def seconds_to_wait(keys: ThrottleKeys, now: datetime | None = None) -> int:
    """How long the caller must wait before trying again (0 means go ahead)."""
    now = now or utcnow()
    rows = db.session.scalars(sa.select(LoginThrottle).where(LoginThrottle.key.in_(keys.all())))
    wait = 0.0
    for row in rows:
        if row.blocked_until and row.blocked_until > now:
            wait = max(wait, (row.blocked_until - now).total_seconds())
    return int(wait + 0.999)


def _locked_row(key: str) -> LoginThrottle:
    """Fetch the counter row for update, creating it if needed, without racing other workers."""
    dialect = db.session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    values = {"key": key, "failures": 0, "window_started_at": utcnow()}
    if insert is not None:
        db.session.execute(insert(LoginThrottle).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    elif db.session.get(LoginThrottle, key) is None:
        db.session.add(LoginThrottle(**values))
        db.session.flush()
    return db.session.scalars(
        sa.select(LoginThrottle).where(LoginThrottle.key == key).with_for_update().execution_options(populate_existing=True)
    ).one()


def register_failure(keys: ThrottleKeys, now: datetime | None = None) -> None:
    """Count one failure on every key; from the last free failure on, the next attempt must wait."""
    now = now or utcnow()
    settings = _settings()
    window = timedelta(minutes=settings["window_minutes"])
    first_delay = settings.get("first_delay_seconds", 30)
    for key, free in ((keys.account, settings["account_free"]), (keys.ip, settings["ip_free"])):
        if key is None:
            continue
        row = _locked_row(key)
        if row.window_started_at + window < now and not (row.blocked_until and row.blocked_until > now):
            row.failures = 0
            row.window_started_at = now
            row.blocked_until = None
        row.failures += 1
        if row.failures >= free:
            doublings = min(row.failures - free, 32)
            delay = min(first_delay * 2**doublings, settings["max_delay_seconds"])
            row.blocked_until = now + timedelta(seconds=delay)
    db.session.flush()


def register_success(keys: ThrottleKeys) -> None:
    """A correct password clears the account's counter (not the IP's: one success proves little)."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == keys.account))
