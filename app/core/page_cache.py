"""Whole-page cache for the pages people load most, exact because of a database-wide data generation.

Every transaction that writes anything (the ORM, Core statements, any process: web, job, command)
gives the one row of ``data_generation`` a new random value, inside that same transaction, just
before it commits (so the row is locked only while the commit happens: writers never deadlock on
it). The signed-in user's page reads that value in the statement that already loads the session
and the user (no extra round trip). A page rendered for one user, one address, one
language and one generation is served again to that user until anything is written anywhere or
``PAGE_CACHE_SECONDS`` pass (the limit only matters for wording tied to the clock, as "due today").

So a page is never older than the last committed change: a trainee who saves an answer, or a
trainer whose trainee just finished a lesson, sees it on the next load. What the cache saves is
the rendering of pages reloaded while nothing changed; on a busy national programme (writes every
second) most loads miss it and cost what they cost without it.

The generation is random, not a counter: a database restored from a backup or a rolled-back test
never brings back a value that named other data. Each worker keeps its own cache in memory,
bounded in bytes (cachetools). Nothing can leak between users: the user's id is in every key, and
a page is kept only after its view has run its permission checks for that user.
Views opt in with ``@cached_page``: a view whose page depends only on the data, the user, the address
and the language; ``@cached_page(public=True)`` for a page that is the same for every visitor who is not
signed in (they read the generation with a statement of its own).
"""
from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable

import sqlalchemy as sa
from cachetools import TTLCache
from flask import Flask, Response, current_app, g, has_app_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import DDL, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, autocommit_read
from app.extensions import db

_WROTE = "acompana_wrote"  # connection.info: this transaction wrote and has not bumped yet
SKIP_GENERATION = "acompana_skip_generation"  # connection.info: never bump (schema migrations)
COMMITS_BY_SAVEPOINT = "acompana_commits_by_savepoint"  # connection.info: see _bump_on_release
_DML = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|MERGE|WITH)\b", re.IGNORECASE)
_CSRF_MARK = b"\x00acompana-csrf\x00"


class DataGeneration(Base):
    """One row: a random value that changes in every transaction that writes."""

    __tablename__ = "data_generation"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(sa.BigInteger)


event.listen(DataGeneration.__table__, "after_create", DDL("INSERT INTO data_generation (id, value) VALUES (1, 0)"))


def generation_column() -> sa.ScalarSelect:
    """The current generation as a column to add to a statement the request runs anyway."""
    return sa.select(DataGeneration.value).where(DataGeneration.id == 1).scalar_subquery()


def has_pending_writes(connection: sa.Connection) -> bool:
    """Whether this connection's transaction wrote and has not changed the generation yet (only a
    connection shared with other code, as in the tests, can when a request starts)."""
    return bool(connection.info.get(_WROTE))


def _read_generation() -> None:
    """For a page anyone may see: the generation, read on its own (a signed-in request reads it with its user)."""
    statement = sa.select(DataGeneration.value).where(DataGeneration.id == 1)
    with autocommit_read(db.session.get_bind()) as connection:
        if connection is not None:
            remember_generation(connection.execute(statement).scalar(), pending_writes=False)
            return
    value = db.session.execute(statement).scalar()
    remember_generation(value, pending_writes=has_pending_writes(db.session.connection()))


def remember_generation(value: int | None, *, pending_writes: bool) -> None:
    """Keep the generation the request read: none when the transaction it read in holds writes not yet counted."""
    g.acompana_generation = None if pending_writes else value


# -- writes change the generation --------------------------------------------------------------

@event.listens_for(Engine, "after_cursor_execute")
def _note_write(conn: sa.Connection, cursor: Any, statement: str, _params: Any, context: Any,
                _many: bool) -> None:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        wrote = context.isinsert or _changed_rows(cursor, statement)
    else:
        wrote = (context is None or context.compiled is None) and bool(_DML.match(statement))
    if wrote:
        conn.info[_WROTE] = True
        if has_app_context():
            g.acompana_wrote = True


def _changed_rows(cursor: Any, statement: str) -> bool:
    """False for an UPDATE or DELETE that matched no row (rowcount is unknown, -1, or not yet counted
    with RETURNING: then it counts as a change)."""
    return cursor.rowcount != 0 or "RETURNING" in statement


def _bump(conn: sa.Connection) -> None:
    if not conn.info.pop(_WROTE, False) or conn.info.get(SKIP_GENERATION):
        return
    # The DBAPI cursor, not conn.execute(): this runs inside the commit, where SQLAlchemy's own
    # execution would fire these events again. The value is an int: no quoting to get wrong.
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute(f"UPDATE data_generation SET value = {secrets.randbits(62)} WHERE id = 1")
    finally:
        cursor.close()


@event.listens_for(Engine, "commit")
def _bump_on_commit(conn: sa.Connection) -> None:
    _bump(conn)


@event.listens_for(Engine, "release_savepoint")
def _bump_on_release(conn: sa.Connection, _name: Any, _context: Any) -> None:
    # Only where a session joined to someone else's transaction (the tests' rolled-back one) "commits"
    # by releasing its savepoint. Elsewhere the real commit bumps: bumping at a release in mid-
    # transaction would hold the row's lock while the transaction goes on and waits for other locks.
    if conn.info.get(COMMITS_BY_SAVEPOINT):
        _bump(conn)


@event.listens_for(Engine, "rollback")
def _forget_on_rollback(conn: sa.Connection) -> None:
    conn.info.pop(_WROTE, None)


# -- the cache -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Entry:
    body: bytes
    headers: tuple[tuple[str, str], ...]
    has_csrf: bool


_lock = threading.Lock()


def _store(app: Flask) -> TTLCache | None:
    cache = app.extensions.get("acompana_page_cache")
    if cache is None and app.config.get("PAGE_CACHE_SECONDS", 0) > 0:
        cache = app.extensions["acompana_page_cache"] = TTLCache(
            maxsize=app.config.get("PAGE_CACHE_MB", 32) * 1024 * 1024,
            ttl=app.config["PAGE_CACHE_SECONDS"],
            getsizeof=lambda entry: len(entry.body) + 256,
        )
    return cache


def clear(app: Flask | None = None) -> None:
    cache = (app or current_app).extensions.get("acompana_page_cache")
    if cache is not None:
        with _lock:
            cache.clear()


def _key(public: bool) -> tuple | None:
    if request.method != "GET":
        return None
    if public:
        person = None
        _read_generation()
    elif current_user.is_authenticated:  # loads the user, and the generation with it
        person = current_user.id
    else:
        return None
    generation = g.get("acompana_generation")
    if generation is None or session.get("_flashes") or g.get("acompana_wrote"):
        return None
    return (person, request.host, request.script_root, request.path, request.query_string,
            str(get_locale()), generation)


def _serve(entry: _Entry) -> Response:
    body = entry.body.replace(_CSRF_MARK, generate_csrf().encode()) if entry.has_csrf else entry.body
    return Response(body, status=200, headers=list(entry.headers))


def _session_state() -> dict:
    """The session without the CSRF secret (rendering a form may add it; serving a hit adds it too)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return {name: value for name, value in session.items() if name != field}


def _keep(cache: TTLCache, key: tuple, response: Response, session_before: dict) -> None:
    if (response.status_code != 200 or response.mimetype != "text/html" or response.direct_passthrough
            or g.get("acompana_wrote") or session.get("_flashes")
            or _session_state() != session_before):
        return  # a write, a flash or a session change is the view's work: a hit would skip it
    body = response.get_data()
    if len(body) + 256 > cache.maxsize:
        return
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    has_csrf = bool(token) and token.encode() in body
    if has_csrf:
        body = body.replace(token.encode(), _CSRF_MARK)
    headers = tuple((name, value) for name, value in response.headers.items()
                    if name.lower() not in ("content-length", "set-cookie"))
    with _lock:
        cache[key] = _Entry(body, headers, has_csrf)


def cached_page(view: Callable[..., Any] | None = None, *, public: bool = False) -> Any:
    """Serve this GET view's page from the cache when nothing has been written since it was rendered.

    Signed-in pages are kept per person. ``public=True`` marks a page that is the same for everyone who
    is not signed in (the certificate verification page): kept once per address and language."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cache = _store(current_app)
            key = _key(public and not current_user.is_authenticated) if cache is not None else None
            if key is None:
                return view(*args, **kwargs)
            with _lock:
                entry = cache.get(key)
            if entry is not None:
                return _serve(entry)
            session_before = _session_state()
            response = current_app.make_response(view(*args, **kwargs))
            _keep(cache, key, response, session_before)
            return response

        return wrapper

    return decorate(view) if view is not None else decorate


def init_app(app: Flask) -> None:
    _store(app)
