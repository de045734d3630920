"""flask notifications send-emails: retry the emails that could not be sent after their commit."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.core.mail import mail_configured
from app.extensions import db
from app.notifications.models import Notification
from app.notifications.services import send_pending_emails

notifications_command = AppGroup("notifications", help="The notification centre.")


@notifications_command.command("send-emails")
@click.option("--days", default=7, show_default=True, help="Only notifications from the last DAYS days.")
def send_emails_command(days: int) -> None:
    """Email the unread notifications not emailed yet (run it from cron when mail is configured)."""
    from datetime import timedelta

    from app.core.db import utcnow

    if not mail_configured():
        click.echo("mail is not configured (MAIL_SERVER): nothing sent", err=True)
        return
    ids = db.session.scalars(sa.select(Notification.id).where(
        Notification.emailed_at.is_(None), Notification.read_at.is_(None),
        Notification.created_at >= utcnow() - timedelta(days=days)))
    click.echo(f"{send_pending_emails(list(ids))} email(s) sent")
