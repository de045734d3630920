"""flask supervision remind: action item reminders (due soon, overdue) in the notification centre.

Safe to run as often as you like (from cron, daily): each reminder is sent once per item and kind.
"""
from __future__ import annotations

import click
from flask import current_app

from app.extensions import db
from app.notifications.services import send_pending_emails
from app.supervision import alerts, queries
from app.supervision.blueprint import bp


@bp.cli.command("remind")
@click.option("--organisation-id", type=int, default=None, help="Only this organisation.")
def remind_command(organisation_id: int | None) -> None:
    """Remind owners of open action items that are due within two days or overdue."""
    with current_app.test_request_context("/"):
        pending = alerts.due_reminders(queries.local_today(), organisation_id=organisation_id)
        sent = alerts.send_reminders(pending)
        db.session.commit()
        send_pending_emails()
    click.echo(f"{sent} reminder(s) sent")
