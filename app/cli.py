"""Command-line entry points (flask ...): each feature keeps its commands in its own cli.py."""
from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    from app.competencies.cli import competencies_command
    from app.courses.cli import content_command
    from app.demo import seed_demo_command
    from app.notifications.cli import notifications_command
    from app.orgs.cli import orgs_command
    from app.quizzes.cli import quizzes_command

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(content_command)
    app.cli.add_command(orgs_command)
    app.cli.add_command(quizzes_command)
    app.cli.add_command(competencies_command)
    app.cli.add_command(notifications_command)

    from app.certificates.badge_cli import register_commands as register_badge_commands
    from app.certificates.cli import certificates_command

    app.cli.add_command(certificates_command)

    register_badge_commands(app)  # last: adds `verify` to the certificates group
    from app.certificates.remind_cli import register_commands as register_reminder_commands

    register_reminder_commands(app)  # `remind` and `auto-issue` in the certificates group
    from app.research.cli import research_command

    app.cli.add_command(research_command)

    app.cli.add_command(analyze_command)


@click.command("analyze")
def analyze_command() -> None:
    """Refresh the database's statistics, so its planner picks the right indexes (run after a large
    import, and weekly from cron). SQLite: PRAGMA optimize (ANALYZE where it is due); PostgreSQL: ANALYZE."""
    import time

    import sqlalchemy as sa

    from app.extensions import db

    started = time.perf_counter()
    with db.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA analysis_limit = 1000")  # sample: seconds, not minutes, at scale
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.execute(sa.text("ANALYZE"))
        connection.commit()
    click.echo(f"Statistics refreshed in {time.perf_counter() - started:.1f} s.")
