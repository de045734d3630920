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
