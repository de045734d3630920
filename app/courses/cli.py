"""flask content validate|sync [PATH]: check course packs (CI) and load them into the database."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.courses.packs import content_root, discover, load_pack
from app.courses.sync import PackConflictError, sync_pack
from app.extensions import db

content_command = AppGroup("content", help="Course packs in modules/<slug>/: validate and sync.")

PATH_ARGUMENT = click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)


@content_command.command("validate")
@PATH_ARGUMENT
def validate_command(path: Path | None) -> None:
    """Check every pack (schema, files, translations, links, images); exit 1 on any error."""
    roots = discover(path or content_root())
    errors = warnings = 0
    for root in roots:
        _, problems = load_pack(root)
        for problem in problems:
            click.echo(str(problem))
        errors += sum(p.is_error for p in problems)
        warnings += sum(not p.is_error for p in problems)
    click.echo(f"{len(roots)} pack(s) checked: {errors} error(s), {warnings} warning(s).", err=True)
    if errors:
        sys.exit(1)


@content_command.command("sync")
@PATH_ARGUMENT
def sync_command(path: Path | None) -> None:
    """Create or update the courses of valid packs (by slug). Packs with errors are skipped; exit 1 then."""
    failed = 0
    for root in discover(path or content_root()):
        pack, problems = load_pack(root)
        for problem in problems:
            click.echo(str(problem))
        if pack is None or any(p.is_error for p in problems):
            click.echo(f"skipped   {root.name}: fix the errors above", err=True)
            failed += 1
            continue
        try:
            click.echo(str(sync_pack(pack)))
        except PackConflictError as error:
            click.echo(f"skipped   {root.name}: {error}", err=True)
            failed += 1
    db.session.commit()
    if failed:
        sys.exit(1)
