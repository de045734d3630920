"""Competency tool packs from the command line.

`flask content validate|sync` call validate_tools / sync_tools for competencies/*.toml;
`flask competencies import FILE --organisation SLUG` loads an official pack an organisation
holds (for example a WHO/UNICEF EQUIP tool under CC BY-NC-SA) for that organisation only.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.competencies.models import CompetencyTool
from app.competencies.packs import discover_tools, load_tool, tools_root
from app.competencies.sync import ToolConflictError, sync_tool
from app.extensions import db
from app.orgs.models import Organisation

competencies_command = AppGroup("competencies", help="Competency tool packs: import an organisation's own pack.")


def validate_tools(path: Path | None = None) -> tuple[int, int, int]:
    """Print every problem of the tool packs; return (files, errors, warnings)."""
    files = discover_tools(path or tools_root())
    errors = warnings = 0
    for file in files:
        _, problems = load_tool(file)
        for problem in problems:
            click.echo(str(problem))
        errors += sum(p.is_error for p in problems)
        warnings += sum(not p.is_error for p in problems)
    return len(files), errors, warnings


def sync_tools(path: Path | None = None) -> int:
    """Sync every valid shared tool pack (flushes, the command commits); return how many failed."""
    failed = 0
    for file in discover_tools(path or tools_root()):
        pack, problems = load_tool(file)
        for problem in problems:
            click.echo(str(problem))
        if pack is None:
            click.echo(f"skipped   tool {file.name}: fix the errors above", err=True)
            failed += 1
            continue
        try:
            click.echo(str(sync_tool(pack)))
        except ToolConflictError as error:
            click.echo(f"skipped   tool {file.name}: {error}", err=True)
            failed += 1
    return failed


@competencies_command.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--organisation", "organisation_slug", required=True, help="The slug of the organisation that holds the pack.")
def import_command(file: Path, organisation_slug: str) -> None:
    """Load (or update) a tool pack for one organisation only; its licence and attribution show with its text."""
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == organisation_slug))
    if organisation is None:
        click.echo(f"no organisation '{organisation_slug}'", err=True)
        sys.exit(1)
    pack, problems = load_tool(file, expect_slug_from_name=False)
    for problem in problems:
        click.echo(str(problem))
    if pack is None:
        click.echo(f"not imported: fix the errors in {file}", err=True)
        sys.exit(1)
    try:
        result = sync_tool(pack, organisation_id=organisation.id)
    except ToolConflictError as error:
        click.echo(f"not imported: {error}", err=True)
        sys.exit(1)
    from app.core import audit

    tool = db.session.scalar(sa.select(CompetencyTool).where(CompetencyTool.slug == pack.slug))
    audit.record("competency_tool.imported", tool, organisation_id=organisation.id,
                 after={"slug": pack.slug, "version": pack.version, "action": result.action.value,
                        "licence": pack.licence})
    db.session.commit()
    click.echo(f"{result} for {organisation.slug}")
