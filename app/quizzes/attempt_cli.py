"""flask quizzes close-expired: submit every attempt whose time is up, with the answers it saved.

Attempts also close lazily on the next request that touches them; run this from cron (say every
five minutes) so reports and grades never wait for a learner to come back.
"""
from __future__ import annotations

import click

from app.extensions import db
from app.quizzes.attempts import close_expired


@click.command("close-expired")
def close_expired_command() -> None:
    """Submit the attempts past their deadline (time limit or the quiz's closing date)."""
    closed = close_expired()
    db.session.commit()
    click.echo(f"{closed} attempt(s) submitted because their time was up.")
