"""`flask research export`: the same ZIP from a terminal, with row counts, audited."""
from __future__ import annotations

import re
import stat

import sqlalchemy as sa

from tests import courses_support, research_support
from tests.research_support import KEY, PSEUDONYM, open_zip, pseudonym_of, rows

content_path = courses_support.content_path  # fixtures
research_world = research_support.research_world


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["research", "export", *map(str, args)])


def test_cli_writes_a_pseudonymised_zip_and_prints_row_counts(app, research_world, tmp_path, db_session):
    from app.core.audit import AuditEvent

    first, _ = research_world
    out = tmp_path / "export.zip"
    result = _run(app, "--organisation", first.organisation.slug, out)

    assert result.exit_code == 0, result.output
    assert re.search(r"people\.csv\s+6 rows", result.output)
    assert re.search(r"item_ratings\.csv\s+2 rows", result.output)
    assert re.search(r"Key: organisation.*fingerprint [0-9a-f]{16}", result.output)
    files = open_zip(out.read_bytes())
    assert all(PSEUDONYM.match(row["person"]) for row in rows(files, "people.csv"))
    assert len(rows(files, "people.csv")) == 6
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.partial"))
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "research.exported"))
    assert event.organisation_id == first.organisation.id and event.actor_id is None
    assert event.after["via"] == "cli" and event.after["mode"] == "pseudonymised"


def test_cli_identified_export_has_names(app, research_world, tmp_path):
    first, _ = research_world
    out = tmp_path / "identified.zip"
    result = _run(app, "--organisation", first.organisation.slug, "--identified", out)

    assert result.exit_code == 0, result.output
    names = {row["full_name"] for row in rows(open_zip(out.read_bytes()), "people.csv")}
    assert first.people["trainee"].full_name in names


def test_cli_key_file_gives_the_shared_pseudonyms(app, research_world, tmp_path):
    first, _ = research_world
    key_file = tmp_path / "programmes.key"
    key_file.write_bytes(KEY + b"\n")
    out = tmp_path / "shared.zip"
    result = _run(app, "--organisation", first.organisation.slug, "--key-file", key_file, out)

    assert result.exit_code == 0, result.output
    people = {row["person"] for row in rows(open_zip(out.read_bytes()), "people.csv")}
    assert people == {pseudonym_of(KEY, i) for i in first.user_ids}


def test_cli_refuses_bad_input(app, research_world, tmp_path):
    first, _ = research_world
    short = tmp_path / "short.key"
    short.write_bytes(b"short")

    unknown = _run(app, "--organisation", "nope", tmp_path / "a.zip")
    assert unknown.exit_code != 0 and "No organisation 'nope'" in unknown.output
    both = _run(app, "--organisation", first.organisation.slug, "--identified", "--key-file", short,
                tmp_path / "b.zip")
    assert both.exit_code != 0 and "--key-file is only for exports with pseudonyms" in both.output
    weak = _run(app, "--organisation", first.organisation.slug, "--key-file", short, tmp_path / "c.zip")
    assert weak.exit_code != 0 and "at least 32 characters" in weak.output
    assert not list(tmp_path.glob("*.zip"))
