"""The migrations build the models' schema from nothing: `flask db upgrade` then `flask db check`.

Run as the operator would, in subprocesses, against a new empty database of the backend
under test (SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL is set).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.databases import backend, fresh_database

ROOT = Path(__file__).resolve().parent.parent


def flask_db(url: str, instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("TEST_DATABASE_URL", "FLASK_APP")}
    env.update(DATABASE_URL=url, ACOMPANA_INSTANCE=str(instance), SECRET_KEY="x")
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )


def schema(url: str) -> dict[str, set[str]]:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        return {table: {column["name"] for column in inspector.get_columns(table)}
                for table in inspector.get_table_names() if table != "alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture
def empty_database(tmp_path):
    with fresh_database(tmp_path, "acompana_mig") as url:
        yield url


def test_upgrade_on_empty_database_then_check_reports_no_drift(empty_database, tmp_path):
    from app.extensions import db

    upgrade = flask_db(empty_database, tmp_path / "instance", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr[-3000:]

    check = flask_db(empty_database, tmp_path / "instance", "check")
    output = check.stdout + check.stderr
    findings = "\n".join(line for line in output.splitlines() if not line.startswith("INFO"))
    assert check.returncode == 0, f"models and migrations differ on {backend()}:\n{findings[-3000:]}"
    assert "No new upgrade operations detected" in output

    expected = {table.name: {column.name for column in table.columns} for table in db.metadata.sorted_tables}
    assert schema(empty_database) == expected


def test_downgrade_to_base_then_upgrade_again(empty_database, tmp_path):
    instance = tmp_path / "instance"
    for args in (("upgrade",), ("downgrade", "base")):
        result = flask_db(empty_database, instance, *args)
        assert result.returncode == 0, result.stderr[-3000:]
    assert schema(empty_database) == {}

    again = flask_db(empty_database, instance, "upgrade")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "login_throttles" in schema(empty_database)
