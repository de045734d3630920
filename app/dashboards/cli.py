"""`flask dashboards refresh`: rebuild the organisation dashboards' figures (from cron, every 15 minutes)."""
from __future__ import annotations

import click
import sqlalchemy as sa

from app.dashboards import facts
from app.dashboards.blueprint import bp
from app.extensions import db
from app.orgs.models import Organisation


@bp.cli.command("refresh")
@click.option("--organisation", "slug", default=None, help="Only this organisation (its slug).")
def refresh_command(slug: str | None) -> None:
    """Rebuild the figures of every organisation's dashboard, or of one; each is committed on its own."""
    query = sa.select(Organisation.id, Organisation.slug).order_by(Organisation.slug)
    if slug:
        query = query.where(Organisation.slug == slug)
    organisations = db.session.execute(query).all()
    if slug and not organisations:
        raise click.ClickException(f"no organisation with the slug {slug!r}")
    for organisation_id, organisation_slug in organisations:
        snapshot = facts.refresh(organisation_id)
        db.session.commit()
        click.echo(f"{organisation_slug}: figures refreshed in {snapshot.duration_ms} ms")
