"""flask keys rotate --organisation SLUG; flask certificates verify FILE [--key MULTIBASE | --key-url URL]."""
from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.certificates import badges, dataintegrity, keys
from app.certificates.models import Certificate, SigningKey
from app.core.db import utcnow
from app.extensions import db
from app.orgs.models import Organisation

keys_command = AppGroup("keys", help="Organisations' Ed25519 signing keys for Open Badges credentials.")


@keys_command.command("rotate")
@click.option("--organisation", "slug", required=True, help="The organisation's slug.")
def rotate_command(slug: str) -> None:
    """Retire the organisation's current key (it stays published) and create a new one."""
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise click.ClickException(f"no organisation with slug {slug!r}")
    signing_key = keys.rotate_key(organisation)
    db.session.commit()
    click.echo(f"New key {signing_key.key_id}: {signing_key.public_key_multibase}")


def _fetch_multikey(url: str) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise click.ClickException("--key-url must be an http(s) URL")
    request = urllib.request.Request(url, headers={"Accept": "application/ld+json, application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  (scheme checked above)
        return json.loads(response.read(1_000_000))


def _our_key(verification_method: str) -> SigningKey | None:
    prefix = f"{current_app.config['BASE_URL']}/issuers/"
    if not verification_method.startswith(prefix) or "/keys/" not in verification_method:
        return None
    org_slug, _, key_id = verification_method[len(prefix):].partition("/keys/")
    organisation = db.session.scalar(sa.select(Organisation).where(Organisation.slug == org_slug))
    return keys.published_key(organisation, key_id) if organisation else None


def _resolve_key(credential: dict[str, Any], key: str | None, key_url: str | None) -> str:
    """The publicKeyMultibase to check against: given, fetched, ours, or from a did:key."""
    if key:
        return key
    method = dataintegrity.proof_of(credential)["verificationMethod"]
    if key_url:
        document = _fetch_multikey(key_url)
        issuer = credential.get("issuer")
        issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
        if document.get("controller") != issuer_id:
            raise dataintegrity.ProofError("the key's controller is not the credential's issuer")
        return str(document.get("publicKeyMultibase") or "")
    ours = _our_key(method)
    if ours is not None:
        return ours.public_key_multibase
    if method.startswith("did:key:"):
        return method.removeprefix("did:key:").partition("#")[0]
    raise click.ClickException(f"unknown key {method}: pass --key MULTIBASE or --key-url URL")


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", help="The issuer's publicKeyMultibase (z6Mk…).")
@click.option("--key-url", help="A URL answering the issuer's Multikey document.")
def verify_command(file: Path, key: str | None, key_url: str | None) -> None:
    """Check an Open Badges 3.0 credential's eddsa-rdfc-2022 proof; exit 1 when it does not hold."""
    try:
        credential = json.loads(file.read_text(encoding="utf-8"))
        if not isinstance(credential, dict):
            raise dataintegrity.ProofError("the file is not a JSON object")
        public_key = dataintegrity.public_key_from_multibase(_resolve_key(credential, key, key_url))
        dataintegrity.verify(credential, public_key)
    except (ValueError, OSError) as error:  # ProofError and JSONDecodeError are ValueErrors
        click.echo(f"INVALID: {error}", err=True)
        sys.exit(1)
    click.echo(f"VALID: the proof holds ({dataintegrity.proof_of(credential)['verificationMethod']}).")
    _echo_status(credential)


def _echo_status(credential: dict[str, Any]) -> None:
    """For our own credentials, say whether the certificate is revoked or expired (the proof still holds)."""
    token = str(credential.get("id") or "").removeprefix(f"{current_app.config['BASE_URL']}/verify/")
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.token == token.removesuffix(".json")))
    if certificate is None:
        return
    if certificate.revoked_at is not None:
        click.echo(f"Status: revoked on {badges.xsd_datetime(certificate.revoked_at)} "
                   f"({certificate.revocation_reason}).")
    elif certificate.valid_until is not None and certificate.valid_until < utcnow():
        click.echo(f"Status: expired on {badges.xsd_datetime(certificate.valid_until)}.")
    else:
        click.echo("Status: valid.")


def register_commands(app) -> None:
    """`flask keys …`, and `verify` inside the `certificates` group (created here if no other module made it).

    Call after the other certificate commands are registered, so the group is shared, not replaced.
    """
    app.cli.add_command(keys_command)
    group = app.cli.commands.get("certificates")
    if not isinstance(group, click.Group):
        group = AppGroup("certificates", help="Certificates: issue, verify.")
        app.cli.add_command(group)
    group.add_command(verify_command)
