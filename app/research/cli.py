"""`flask research export --organisation SLUG [--identified] [--key-file F] OUT.zip` and `flask research purge`."""
from __future__ import annotations

import os
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.core import audit
from app.core.db import read_only
from app.extensions import db
from app.orgs.models import Organisation
from app.research import jobs, pseudonyms
from app.research.export import write_export

research_command = AppGroup("research", help="Research exports.")


@research_command.command("export")
@click.option("--organisation", "slug", required=True, help="The organisation's slug.")
@click.option("--identified", is_flag=True, help="User ids, names and usernames instead of pseudonyms.")
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A key shared with other programmes (pseudonyms only); default: the organisation's own key.")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(slug: str, identified: bool, key_file: Path | None, out: Path) -> None:
    """Write one organisation's research export: a ZIP of CSVs, a data dictionary and a README."""
    if identified and key_file:
        raise click.UsageError("--key-file is only for exports with pseudonyms.")
    try:
        key = pseudonyms.parse_key(key_file.read_bytes()) if key_file else None
    except pseudonyms.KeyFileError as error:
        raise click.ClickException(f"{key_file}: {error}.") from error
    partial = out.with_name(f".{out.name}.partial")
    with read_only():
        organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
        if organisation is None:
            raise click.ClickException(f"No organisation {slug!r}.")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w+b") as handle:
                summary = write_export(handle, organisation, identified=identified, key=key)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        db.session.commit()
    partial.replace(out)
    audit.record("research.exported", organisation_id=summary.organisation.id,
                 after={**summary.audit_details(), "via": "cli"})
    db.session.commit()
    click.echo(f"{summary.organisation.name}: {summary.mode} export written to {out}")
    if summary.key_fingerprint:
        made = " (made now)" if summary.key_created else ""
        click.echo(f"Key: {summary.key_source}{made}, fingerprint {summary.key_fingerprint}")
    for name, count in summary.counts.items():
        click.echo(f"  {name:<28} {count:>10} rows")


@research_command.command("purge")
def purge_command() -> None:
    """Delete the ZIPs of exports made in the background more than 7 days ago (run it daily, from cron)."""
    deleted = jobs.purge()
    db.session.commit()
    click.echo(f"Deleted {deleted} export file(s) older than {jobs.KEEP_FOR.days} days.")
