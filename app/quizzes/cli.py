"""flask quizzes import|export: GIFT files into and out of question banks; bank files for flask content.

``import`` is all or nothing: a malformed file prints every error with its line, exits 1 and
imports nothing. ``--json`` prints exactly ``{"questions": N, "by_type": {...}, "errors": [...]}``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.core import audit
from app.extensions import db
from app.orgs.models import Organisation
from app.quizzes.bank_sync import BankConflictError, quizzes_root, sync_bank, validate_banks
from app.quizzes.banks import BankError, apply_questions, create_bank, decode_gift, export_bank, find_bank, read_bank_text
from app.quizzes.gift import GiftSyntaxError
from app.quizzes.models import BankSource, VersionOrigin

quizzes_command = AppGroup("quizzes", help="Question banks: import and export GIFT.")


# -- called by flask content validate|sync ----------------------------------------------------

def validate_bank_files(root: Path | None = None) -> tuple[int, int, int]:
    """Print every problem of the bank files; (files, errors, warnings)."""
    root = root or quizzes_root()
    banks, problems = validate_banks(root)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.is_error for p in problems)
    files = len(list(root.glob("*.gift"))) if root.is_dir() else 0
    return files, errors, len(problems) - errors


def sync_bank_files(root: Path | None = None) -> int:
    """Sync every valid bank file (by slug and language); the number of files skipped for errors."""
    banks, problems = validate_banks(root or quizzes_root())
    for problem in problems:
        click.echo(str(problem))
    broken = {p.path for p in problems if p.is_error}
    failed = len({p.path for p in problems if p.is_error and p.path not in {b.path for b in banks}})
    for bank_file in banks:
        if bank_file.path in broken:
            click.echo(f"skipped   {bank_file.path.name}: fix the errors above", err=True)
            failed += 1
            continue
        try:
            click.echo(str(sync_bank(bank_file)))
        except BankConflictError as error:
            click.echo(f"skipped   {bank_file.path.name}: {error}", err=True)
            failed += 1
    return failed


# -- flask quizzes import|export -------------------------------------------------------------

def _fail(message: str, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"questions": 0, "by_type": {}, "errors": [{"line": None, "message": message}]},
                              ensure_ascii=False))
    else:
        click.echo(message, err=True)
    sys.exit(1)


@quizzes_command.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bank", "slug", required=True, help="The bank's short name (slug).")
@click.option("--language", default="es", show_default=True, help="The bank's language.")
@click.option("--organisation", "organisation_slug", default=None,
              help="The organisation that owns the bank; needed to create a new one.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; import nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_command(file: Path, slug: str, language: str, organisation_slug: str | None, dry_run: bool,
                   as_json: bool) -> None:
    """Import a GIFT FILE into a web bank (created when --organisation is given). All or nothing."""
    try:
        text = decode_gift(file.read_bytes())
        gift = read_bank_text(text, require_names=False)
    except BankError as error:
        _fail(error.message, as_json)
    except GiftSyntaxError as error:
        if as_json:
            click.echo(json.dumps(error.summary(), ensure_ascii=False))
        else:
            for problem in error.errors:
                click.echo(f"{file}:{problem.line}: {problem.message}", err=True)
            click.echo(f"nothing imported: {len(error.errors)} error(s)", err=True)
        sys.exit(1)

    bank = find_bank(slug, language)
    organisation = None
    if organisation_slug is not None:
        organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == organisation_slug))
        if organisation is None:
            _fail(f"no organisation '{organisation_slug}'", as_json)
    if bank is not None and bank.source is BankSource.PACK:
        _fail(f"bank '{slug}.{language}' comes from a file in quizzes/: edit the file and run flask content sync",
              as_json)
    if bank is not None and organisation is not None and bank.organisation_id != organisation.id:
        _fail(f"bank '{slug}.{language}' belongs to another organisation", as_json)
    if bank is None and organisation is None:
        _fail(f"no bank '{slug}.{language}': give --organisation to create it", as_json)

    if not dry_run:
        if bank is None:
            try:
                bank = create_bank(organisation.id, slug, language, slug, actor=None)
            except BankError as error:
                _fail(error.message, as_json)
        counts = apply_questions(bank, gift, actor=None, origin=VersionOrigin.IMPORT, note=file.name[:300])
        audit.record("quizzes.questions_imported", bank,
                     after={"file": file.name, "questions": len(gift.questions), **counts.as_dict()})
        db.session.commit()
    if as_json:
        click.echo(json.dumps(gift.summary(), ensure_ascii=False))
    else:
        by_type = ", ".join(f"{count} {qtype}" for qtype, count in gift.summary()["by_type"].items())
        verb = "would import" if dry_run else "imported"
        click.echo(f"{verb} {len(gift.questions)} question(s) into {slug}.{language}" + (f": {by_type}" if by_type else ""))


@quizzes_command.command("export")
@click.argument("slug", metavar="BANK")
@click.option("--language", default="es", show_default=True, help="The bank's language.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of the screen.")
def export_command(slug: str, language: str, out: Path | None) -> None:
    """Write a bank's visible questions as GIFT (import gives the same questions back)."""
    bank = find_bank(slug, language)
    if bank is None:
        click.echo(f"no bank '{slug}.{language}'", err=True)
        sys.exit(1)
    text = export_bank(bank)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"exported  {slug}.{language} to {out}", err=True)


# flask quizzes close-expired (attempts): defined with the attempt services.
from app.quizzes.attempt_cli import close_expired_command  # noqa: E402

quizzes_command.add_command(close_expired_command)
