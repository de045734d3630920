"""`flask orgs ...`: set up a real organisation without demo data, and housekeeping."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.auth.services import issue_reset_code
from app.extensions import db
from app.orgs import importing, services
from app.orgs.models import Organisation, Role


@click.group("orgs")
def orgs_command() -> None:
    """Organisations and their first administrator."""


@orgs_command.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--country", default=None, help="Two-letter country code, e.g. MX or PE.")
@click.option("--language", default="es", type=click.Choice(["es", "en"]), show_default=True)
@click.option("--admin", "admin_username", required=True, help="Username of the first administrator.")
@click.option("--admin-name", required=True, help="Full name of the first administrator.")
@with_appcontext
def create_organisation(slug: str, name: str, country: str | None, language: str, admin_username: str,
                        admin_name: str) -> None:
    """Create an organisation and its first administrator, who signs in with a one-time code."""
    if db.session.scalar(sa.select(Organisation.id).where(Organisation.slug == slug)):
        raise click.ClickException(f"an organisation with the slug {slug!r} already exists")
    organisation = Organisation(slug=slug, name=name, country=country, default_language=language)
    db.session.add(organisation)
    db.session.flush()
    try:
        admin = services.create_user(organisation.id, services.UserData(
            username=admin_username, full_name=admin_name, preferred_language=language, roles={Role.ADMIN}))
    except services.OrgError as error:
        raise click.ClickException(str(error)) from error
    code = issue_reset_code(admin, actor=None)
    db.session.commit()
    click.echo(f"Created {name} ({slug}) with administrator {admin.username}.")
    click.echo(f"One-time code to set the password at /reset (valid 24 hours): {code}")


@orgs_command.command("purge-imports")
@click.option("--days", default=7, show_default=True, help="Previews older than this are discarded.")
@with_appcontext
def purge_imports(days: int) -> None:
    """Remove the personal data of user-import previews nobody confirmed (run daily from cron)."""
    from datetime import timedelta

    count = importing.discard_stale_imports(timedelta(days=days))
    db.session.commit()
    click.echo(f"Discarded {count} unconfirmed import preview(s).")
