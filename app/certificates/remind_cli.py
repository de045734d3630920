"""`flask certificates remind` (60, 30 and 7 days before expiry) and `flask certificates auto-issue`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db


def register_commands(app) -> None:
    """Add the commands to the shared `certificates` group (created here if no other module made it)."""
    group = app.cli.commands.get("certificates")
    if not isinstance(group, click.Group):
        group = AppGroup("certificates", help="Certificates: issue, verify.")
        app.cli.add_command(group)
    group.add_command(remind_command)
    group.add_command(auto_issue_command)


@click.command("remind")
def remind_command() -> None:
    """Notify holders whose certificate expires in 60, 30 or 7 days (each reminder once); email when configured."""
    from app.certificates.services import send_expiry_reminders
    from app.notifications.services import send_pending_emails

    from app.certificates.jobs import request_like

    with request_like():
        sent = send_expiry_reminders()
        db.session.commit()
        send_pending_emails()
    click.echo(f"{sent} reminder(s) sent.")


@click.command("auto-issue")
def auto_issue_command() -> None:
    """Issue certificates of courses set to issue automatically to every trainee who is now eligible."""
    from app.certificates.auto import issue_due
    from app.notifications.services import send_pending_emails

    issued = issue_due()
    send_pending_emails()
    click.echo(f"{len(issued)} certificate(s) issued.")
