"""Command-line entry points (flask ...): each feature keeps its commands in its own cli.py."""
from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    from app.courses.cli import content_command
    from app.demo import seed_demo_command
    from app.orgs.cli import orgs_command

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(content_command)
    app.cli.add_command(orgs_command)
