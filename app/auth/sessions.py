"""Server-side login sessions: a fresh id at every login, idle and absolute timeouts, remote end."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from flask import Flask, current_app, g, request, session
from flask_login import login_user
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import User, UserSession
from app.orgs.models import RoleAssignment
from app.core import page_cache
from app.core.db import autocommit_read, utcnow
from app.extensions import db, login_manager
from app.notifications.services import (
    remember_unread_count,
    unread_count_of_user_column,
)

TOUCH_EVERY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> UserSession:
    """Log the user in with a brand-new session id (the old cookie content is dropped)."""
    token = secrets.token_urlsafe(32)
    session.clear()
    session.permanent = True
    session["sid"] = token
    session["seen"] = int(utcnow().timestamp())
    record = UserSession(
        token_hash=_hash(token),
        user_id=user.id,
        ip=request.remote_addr,
        user_agent=(request.user_agent.string or "")[:300],
    )
    db.session.add(record)
    user.last_login_at = utcnow()
    login_user(user)
    db.session.flush()
    return record


def end_current_session() -> None:
    token = session.get("sid")
    if token:
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == _hash(token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )
    session.clear()


def end_user_sessions(user: User, *, except_current: bool = False) -> int:
    """End every open session of this user (deactivation, password change)."""
    stmt = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    token = session.get("sid") if except_current else None
    if token:
        stmt = stmt.where(UserSession.token_hash != _hash(token))
    result = db.session.execute(stmt.values(ended_at=utcnow()))
    return result.rowcount or 0


@cache
def _columns(model: type) -> tuple[tuple[str, sa.Column], ...]:
    return tuple((attribute.key, attribute.columns[0]) for attribute in sa.inspect(model).column_attrs)


@cache
def _session_user_statement() -> sa.Select:
    """Built once: the session, its user, their roles, the header's unread count and the data generation
    (app.core.page_cache) in one statement: every signed-in page pays for this lookup, and on
    PostgreSQL each statement is a round trip. A Core statement: the ORM's loading cost more than the
    statement itself, and _loaded() builds the same objects from the row."""
    return (sa.select(*[column.label(f"u_{key}") for key, column in _columns(User)],
                      UserSession.created_at.label("session_created_at"),
                      unread_count_of_user_column(User.id).label("unread"),
                      page_cache.generation_column().label("generation"),
                      *[column.label(f"r_{key}") for key, column in _columns(RoleAssignment)])
            .join(UserSession, UserSession.user_id == User.id)
            .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(UserSession.token_hash == sa.bindparam("token_hash"), UserSession.ended_at.is_(None)))


def _loaded(model: type, row: sa.RowMapping, prefix: str) -> object:
    """An ORM object from a row of _session_user_statement(), as if the ORM had loaded it (no change pending)."""
    instance = sa.inspect(model).class_manager.new_instance()
    for key, _column in _columns(model):
        set_committed_value(instance, key, row[prefix + key])
    make_transient_to_detached(instance)
    return instance


def _session_row(token_hash: str) -> tuple | None:
    """(user, session start, unread count) for the cookie's session, the user (with their
    roles) in the request's session, or None.

    On PostgreSQL it runs on a connection of its own in autocommit: one round trip, where the request's
    session would send BEGIN and ROLLBACK around it. A page served from the page cache needs nothing more.
    """
    with autocommit_read(db.session.get_bind()) as connection:
        if connection is not None:
            rows = connection.execute(_session_user_statement(), {"token_hash": token_hash}).mappings().all()
            pending_writes = False
        else:
            rows = db.session.execute(_session_user_statement(), {"token_hash": token_hash}).mappings().all()
            pending_writes = page_cache.has_pending_writes(db.session.connection())
    if not rows:
        return None
    first = rows[0]
    page_cache.remember_generation(first["generation"], pending_writes=pending_writes)
    user = db.session.identity_map.get(identity_key(User, first["u_id"]))
    if user is None:  # as always, unless this request loaded the user before signing them in
        user = _loaded(User, first, "u_")
        set_committed_value(user, "role_assignments",
                            [_loaded(RoleAssignment, row, "r_") for row in rows if row["r_id"] is not None])
        db.session.add(user)  # with its roles: no query, nothing to flush
    return user, first["session_created_at"], first["unread"]


def session_key() -> str | None:
    """The cookie's login session, hashed as stored (app.core.page_cache keeps signed-in pages under it)."""
    token = session.get("sid")
    return _hash(token) if token else None


def _in_time(now: int, started_at: float) -> bool:
    """Within the idle timeout (tracked in the signed cookie, so reads never write) and the absolute one;
    the cookie's last-seen time is moved on at most once a minute."""
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["SESSION_ABSOLUTE_TIMEOUT"].total_seconds()
    seen = session.get("seen", 0)
    if now - seen > idle or now - started_at > absolute:
        return False
    if now - seen >= TOUCH_EVERY.total_seconds():
        session["seen"] = now
    return True


def resume_without_loading(started_at: float) -> bool:
    """For a page answered from the page cache before the user is loaded: whether this session is still in
    time (else the page is rendered, and _load_user ends the session as on any page)."""
    return _in_time(int(utcnow().timestamp()), started_at)


def _load_user(user_id: str) -> User | None:
    """Resolve the cookie's session id: the session must be open, its user's, in time and the user active."""
    token = session.get("sid")
    if not token:
        return None
    row = _session_row(_hash(token))
    if row is None or str(row[0].id) != user_id:
        session.clear()
        return None
    user, created_at, unread = row
    remember_unread_count(unread)
    if not _in_time(int(utcnow().timestamp()), created_at.timestamp()):
        session.clear()
        session["expired"] = True
        return None
    g.acompana_session_started = created_at.timestamp()
    return user if user.is_active else None


def init_app(app: Flask) -> None:
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = None
