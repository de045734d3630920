"""A fresh, empty database of the kind under test, for tests that need their own.

SQLite: a new file. PostgreSQL (TEST_DATABASE_URL set): a newly created database on the
same server, dropped afterwards. Used by tests that run several processes or the
migration commands, which cannot share the per-test rolled-back connection.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url


def backend() -> str:
    return "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"


@contextmanager
def fresh_database(directory: Path, prefix: str) -> Iterator[str]:
    """Yield the SQLAlchemy URL of an empty database that nothing else uses."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{directory / (prefix + '.db')}"
        return

    import psycopg

    target = make_url(url)
    name = f"{prefix}_{secrets.token_hex(6)}"
    maintenance = target.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield target.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
