"""flask content validate|sync [PATH]: check course packs (CI) and load them into the database; export COURSE."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

import sqlalchemy as sa

from app.courses.export import export_course
from app.courses.models import Course
from app.courses.packs import content_root, discover, load_pack
from app.courses.sync import PackConflictError, sync_pack
from app.extensions import db

content_command = AppGroup("content", help="Course packs in modules/<slug>/: validate, sync and export.")

PATH_ARGUMENT = click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)


@content_command.command("validate")
@PATH_ARGUMENT
def validate_command(path: Path | None) -> None:
    """Check every pack (schema, files, translations, links, images); exit 1 on any error."""
    roots = discover(path or content_root())
    errors = warnings = 0
    for root in roots:
        _, problems = load_pack(root)
        for problem in problems:
            click.echo(str(problem))
        errors += sum(p.is_error for p in problems)
        warnings += sum(not p.is_error for p in problems)
    click.echo(f"{len(roots)} pack(s) checked: {errors} error(s), {warnings} warning(s).", err=True)
    if path is None:  # the competency tool packs in competencies/*.toml
        from app.competencies.cli import validate_tools

        tools, tool_errors, tool_warnings = validate_tools()
        click.echo(f"{tools} competency tool(s) checked: {tool_errors} error(s), {tool_warnings} warning(s).", err=True)
        errors += tool_errors
    if path is None:  # the question banks in quizzes/*.gift
        from app.quizzes.cli import validate_bank_files

        banks, bank_errors, bank_warnings = validate_bank_files()
        click.echo(f"{banks} question bank file(s) checked: {bank_errors} error(s), {bank_warnings} warning(s).",
                   err=True)
        errors += bank_errors
    if errors:
        sys.exit(1)


@content_command.command("sync")
@PATH_ARGUMENT
def sync_command(path: Path | None) -> None:
    """Create or update the courses of valid packs (by slug). Packs with errors are skipped; exit 1 then."""
    failed = 0
    for root in discover(path or content_root()):
        pack, problems = load_pack(root)
        for problem in problems:
            click.echo(str(problem))
        if pack is None or any(p.is_error for p in problems):
            click.echo(f"skipped   {root.name}: fix the errors above", err=True)
            failed += 1
            continue
        try:
            click.echo(str(sync_pack(pack)))
        except PackConflictError as error:
            click.echo(f"skipped   {root.name}: {error}", err=True)
            failed += 1
    if path is None:  # the competency tool packs in competencies/*.toml
        from app.competencies.cli import sync_tools

        failed += sync_tools()
    if path is None:  # the question banks in quizzes/*.gift
        from app.quizzes.cli import sync_bank_files

        failed += sync_bank_files()
    db.session.commit()
    if failed:
        sys.exit(1)


@content_command.command("export")
@click.argument("course_slug", metavar="COURSE")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write COURSE/ into (default: the content folder, modules/).")
def export_command(course_slug: str, out: Path | None) -> None:
    """Write a course (for example one authored on the web) as a pack: OUT/COURSE/course.toml and lessons."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == course_slug))
    if course is None:
        click.echo(f"no course '{course_slug}'", err=True)
        sys.exit(1)
    root = export_course(course, out or content_root())
    _, problems = load_pack(root)
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"exported  {course.slug} {course.version} to {root}", err=True)
    if any(p.is_error for p in problems):
        sys.exit(1)
