"""Whole-page cache for the pages people load most, exact because of a database-wide data generation.

Every transaction that writes anything (the ORM, Core statements, any process: web, job, command)
gives the one row of ``data_generation`` a new random value, inside that same transaction, just
before it commits (so the row is locked only while the commit happens: writers never deadlock on
it). A page is kept with the generation it was rendered at; a signed-in page is rendered after the
statement that loads the session and the user, which reads the generation too (no extra round trip).

A signed-in page is kept per login session (the cookie's session id, hashed), address and language
inputs, and answered before the user is loaded (``_serve_before_loading_the_user``): one statement
reads the generation, and the page is served if it is unchanged. That is safe because the user,
their roles, their memberships and the session row are data: any change to them is a write, which
changes the generation. The session's clock-bound limits (idle and absolute timeouts) are checked
at every hit by app.auth.sessions, as for any page. Nothing can leak between people: a key names one
login session, and a page is kept only after its view has run its permission checks for it.

So a page is never older than the last committed change: a trainee who saves an answer, or a
trainer whose trainee just finished a lesson, sees it on the next load. Only wording tied to the clock
(as "due today") may lag, by at most ``PAGE_CACHE_SECONDS``. What the cache saves is the rendering of
pages reloaded while nothing changed; on a busy national programme (writes every second) most loads
miss it and cost what they cost without it (plus the one statement, where a stale copy was kept).

The generation is random, not a counter: a database restored from a backup or a rolled-back test
never brings back a value that named other data. Each worker keeps its own cache in memory,
bounded in bytes (cachetools).
Views opt in with ``@cached_page``: a view whose page depends only on the data, the user, the address
and the language; ``@cached_page(public=True)`` for a page that is the same for every visitor who is not
signed in (looked up after the decorators above it, as the verification page's rate limit).
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

from app.core.db import Base, autocommit_scalar
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


_GENERATION_SQL = "SELECT value FROM data_generation WHERE id = 1"


def _read_generation() -> None:
    """For a page answered before (or without) loading a user: the generation, read on its own (a signed-in
    request that renders reads it with its user)."""
    done, value = autocommit_scalar(db.session.get_bind(), _GENERATION_SQL)
    if done:
        remember_generation(value, pending_writes=False)
        return
    value = db.session.execute(sa.text(_GENERATION_SQL)).scalar()
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
    generation: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    has_csrf: bool
    session_started: float | None  # a signed-in page: when its session began (the absolute timeout)


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


def _address() -> tuple:
    return request.host, request.script_root, request.path, request.query_string


def _signed_in_key() -> tuple | None:
    """A signed-in page is kept per login session (the cookie's session id, hashed), so that a reload is
    answered before the user is loaded. Its language follows from the user (whose data the generation
    covers), the language chosen in the session and the browser's."""
    from app.auth.sessions import session_key

    token_hash = session_key()
    if token_hash is None:
        return None
    return (token_hash, *_address(), session.get("language"), request.headers.get("Accept-Language", ""))


def _cached(cache: TTLCache, key: tuple) -> _Entry | None:
    """The entry kept under this key if it was rendered at the current generation (read here, one statement)."""
    with _lock:
        entry = cache.get(key)
    if entry is None:
        return None  # nothing to check: no statement
    _read_generation()
    generation = g.get("acompana_generation")
    return entry if generation is not None and entry.generation == generation else None


def _serve(entry: _Entry) -> Response:
    body = entry.body.replace(_CSRF_MARK, generate_csrf().encode()) if entry.has_csrf else entry.body
    return Response(body, status=200, headers=list(entry.headers))


def _serve_before_loading_the_user() -> Response | None:
    """before_request: a signed-in page kept at the current generation for this login session.

    The user, their roles and the session row cannot have changed since it was rendered (any change is a
    write, which changes the generation), and the view's permission checks passed for this session then.
    The session's timeouts depend on the clock: app.auth.sessions checks them as for any page."""
    if request.method != "GET" or session.get("_flashes"):
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "acompana_cached_page", False):
        return None
    cache = _store(current_app)
    key = _signed_in_key() if cache is not None else None
    entry = _cached(cache, key) if key is not None else None
    if entry is None or entry.session_started is None:
        return None
    from app.auth.sessions import resume_without_loading

    return _serve(entry) if resume_without_loading(entry.session_started) else None


def _session_state() -> dict:
    """The session without the CSRF secret (rendering a form may add it; serving a hit adds it too)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return {name: value for name, value in session.items() if name != field}


def _keep(cache: TTLCache, key: tuple, response: Response, session_before: dict,
          session_started: float | None) -> None:
    generation = g.get("acompana_generation")
    if (generation is None or response.status_code != 200 or response.mimetype != "text/html"
            or response.direct_passthrough or g.get("acompana_wrote") or session.get("_flashes")
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
        cache[key] = _Entry(generation, body, headers, has_csrf, session_started)


def cached_page(view: Callable[..., Any] | None = None, *, public: bool = False) -> Any:
    """Serve this GET view's page from the cache when nothing has been written since it was rendered.

    Signed-in pages are kept per login session and answered before the user is loaded
    (_serve_before_loading_the_user). ``public=True`` marks a page that is the same for everyone who is
    not signed in (the certificate verification page): kept once per address and language, looked up
    here, after the decorators above it (its rate limit)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cache = _store(current_app)
            if cache is None or request.method != "GET" or session.get("_flashes"):
                return view(*args, **kwargs)
            session_started = None
            if current_user.is_authenticated:
                key = _signed_in_key()  # the user was loaded, with the generation, by the decorators above
                session_started = g.get("acompana_session_started")
                if session_started is None:
                    key = None
                elif public:  # not answered before the user is loaded: after its rate limit, here
                    entry = _cached(cache, key)
                    if entry is not None:
                        return _serve(entry)
            elif public:
                key = (None, *_address(), str(get_locale()))
                entry = _cached(cache, key)
                if entry is not None:
                    return _serve(entry)
                if g.get("acompana_generation") is None:
                    _read_generation()  # before rendering: a page is kept under the generation it was read at
            else:
                key = None
            if key is None:
                return view(*args, **kwargs)
            session_before = _session_state()
            response = current_app.make_response(view(*args, **kwargs))
            _keep(cache, key, response, session_before, session_started)
            return response

        # functools.wraps copies this to the decorators above (login_required, role_required): the
        # endpoint's view function carries it for _serve_before_loading_the_user.
        wrapper.acompana_cached_page = not public  # type: ignore[attr-defined]
        return wrapper

    return decorate(view) if view is not None else decorate


def init_app(app: Flask) -> None:
    _store(app)
    app.before_request(_serve_before_loading_the_user)
    app.teardown_appcontext(_end_reads_with_commit)  # after Flask-SQLAlchemy's: runs before it


# -- a request that wrote nothing keeps PostgreSQL's prepared statements ---------------------------

def _end_reads_with_commit(exc: BaseException | None) -> None:
    """On PostgreSQL, end a request's transaction that wrote nothing with COMMIT rather than ROLLBACK (for
    such a transaction the two are the same). psycopg forgets its prepared statements at every ROLLBACK,
    and Flask-SQLAlchemy's teardown rolls back: the statements every page runs were planned again at
    every request. Kept, the planning is done once per connection (the page bench: a third less CPU on
    the database for a rendered page)."""
    if exc is not None:
        return
    session = db.session()
    transaction = session.get_transaction()
    # only a transaction that holds a connection (asking for one would begin one) and no pending change
    if (transaction is None or not getattr(transaction, "_connections", None) or session.new or session.dirty
            or session.deleted):
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql" or connection.info.get(_WROTE) or not connection.in_transaction():
        return
    try:
        session.commit()
    except sa.exc.SQLAlchemyError:
        session.rollback()
