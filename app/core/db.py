"""Declarative base, column types and engine set-up shared by every feature's models."""
from __future__ import annotations

import enum
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime | None) -> datetime | None:
    """A timestamp read without a zone (SQLite keeps none) is UTC; an aware one is left as it is."""
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use app.core.db.utcnow()")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_column(enum_cls: type[enum.Enum], **kwargs: Any) -> sa.Enum:
    """Store a StrEnum as a plain string column (portable, no native type to migrate)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
        **kwargs,
    )


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


# "write" or "read" while a write_lock() or read_only() block is open; the innermost block wins
# (a read-only render process forked from a job that holds write_lock() reads without the lock).
_lock_mode: ContextVar[str | None] = ContextVar("sqlite_lock_mode", default=None)


@contextmanager
def write_lock():
    """Within this block new SQLite transactions begin IMMEDIATE even during a GET."""
    token = _lock_mode.set("write")
    try:
        yield
    finally:
        _lock_mode.reset(token)


@contextmanager
def read_only():
    """Within this block new SQLite transactions begin DEFERRED even during a POST or a command,
    so a long read (a research export) never holds the write lock that every writer waits for."""
    token = _lock_mode.set("read")
    try:
        yield
    finally:
        _lock_mode.reset(token)


def _wants_write_lock() -> bool:
    """Requests that may change state take SQLite's write lock up front; reads stay concurrent."""
    mode = _lock_mode.get()
    if mode is not None:
        return mode == "write"
    if has_request_context():
        return request.method not in ("GET", "HEAD", "OPTIONS")
    return True


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection.

    We also switch off pysqlite's own transaction handling, which begins lazily at the
    first write: two workers that read then write would both act on stale reads.
    """
    if not isinstance(dbapi_conn, sqlite3.Connection):
        return
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(conn: sa.Connection) -> None:
    """Take the write lock at BEGIN for writes, so read-modify-write never loses an update."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _wants_write_lock() else "BEGIN")


# Per engine, per process (a forked worker makes its own): a second engine on the same database whose
# connections stay in autocommit, for the reads every page makes before anything else.
_autocommit_engines: "weakref.WeakKeyDictionary[sa.Engine, tuple[int, sa.Engine]]" = weakref.WeakKeyDictionary()
_autocommit_engines_lock = threading.Lock()


def _autocommit_engine(bind: Any) -> sa.Engine | None:
    """None where the reads must go through the request's session: a connection shared by the tests (they
    must see its transaction) or an in-memory SQLite database (each connection would be another database)."""
    if not isinstance(bind, sa.Engine):
        return None
    if bind.dialect.name == "sqlite" and bind.url.database in (None, "", ":memory:"):
        return None
    known = _autocommit_engines.get(bind)
    if known is not None and known[0] == os.getpid():
        return known[1]
    with _autocommit_engines_lock:
        known = _autocommit_engines.get(bind)
        if known is not None and known[0] == os.getpid():
            return known[1]
        engine = sa.create_engine(bind.url, isolation_level="AUTOCOMMIT", pool_reset_on_return=None)
        pid = os.getpid()
        # Disposed with its engine (before forking, before a test drops its database). A forked child that
        # drops what it inherited must not close the parent's connections: only the creating process does.
        event.listen(bind, "engine_disposed", lambda _conn: engine.dispose(close=os.getpid() == pid))
        _autocommit_engines[bind] = (pid, engine)
        return engine


@contextmanager
def autocommit_read(bind: Any) -> Iterator[sa.Connection | None]:
    """On PostgreSQL, a pooled connection in autocommit for a read that needs no transaction: one round
    trip where a session would send BEGIN, the statement and ROLLBACK. None elsewhere: SQLite's
    transactions cost no round trip, and a connection shared by the tests must see their transaction.
    The connections are the autocommit engine's (see _autocommit_engine): none is switched to autocommit
    and back at every use."""
    engine = _autocommit_engine(bind) if getattr(bind, "dialect", None) and bind.dialect.name == "postgresql" else None
    if engine is None:
        yield None
        return
    with engine.connect() as connection:
        yield connection


def autocommit_scalar(bind: Any, sql: str) -> tuple[bool, Any]:
    """(True, the first column of the first row) of a fixed read, run on the driver's own cursor in
    autocommit: no transaction, no SQLAlchemy result to build. It is the one statement of a page served
    from app.core.page_cache, on PostgreSQL and on a SQLite file. (False, None) for a connection shared by the
    tests or SQLite in memory: read through the session then."""
    engine = _autocommit_engine(bind)
    if engine is None:
        return False, None
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()  # back to the pool
    return True, (row[0] if row else None)
