"""Each organisation's Ed25519 signing keys.

The private half is a PEM file in ``instance/keys/<key_id>.pem`` (mode 0600, directory 0700) and
never leaves the server; the public half is published from its SigningKey row as a Multikey.
Rotation retires the current key but keeps it published, so earlier credentials still verify.
"""
from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from app.certificates.dataintegrity import public_key_multibase
from app.certificates.models import SigningKey
from app.core import audit
from app.core.db import utcnow
from app.extensions import db
from app.orgs.models import Organisation


class MissingPrivateKeyError(RuntimeError):
    """The SigningKey row exists but its private key file is not on this server."""


def keys_dir() -> Path:
    return Path(current_app.instance_path) / "keys"


def private_key_path(signing_key: SigningKey) -> Path:
    return keys_dir() / f"{signing_key.key_id}.pem"


def write_secret_file(path: Path, data: bytes) -> None:
    """Create a secret file readable by the server's user only (0600, directory 0700); never overwrite one."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _write_private_key(path: Path, private_key: Ed25519PrivateKey) -> None:
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_secret_file(path, pem)


def create_key(organisation: Organisation) -> SigningKey:
    """A new active key for the organisation: the file is written now, the row flushed."""
    private_key = Ed25519PrivateKey.generate()
    signing_key = SigningKey(
        organisation_id=organisation.id,
        key_id=f"{organisation.slug}-{secrets.token_hex(6)}",
        public_key_multibase=public_key_multibase(private_key.public_key()),
    )
    _write_private_key(private_key_path(signing_key), private_key)
    db.session.add(signing_key)
    db.session.flush()
    audit.record("signing_key.created", signing_key, after={"key_id": signing_key.key_id})
    return signing_key


def current_key(organisation: Organisation) -> SigningKey | None:
    return db.session.scalars(
        sa.select(SigningKey)
        .where(SigningKey.organisation_id == organisation.id, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
    ).first()


def active_key(organisation: Organisation) -> SigningKey:
    """The organisation's current key, created with its first certificate."""
    return current_key(organisation) or create_key(organisation)


def rotate_key(organisation: Organisation) -> SigningKey:
    """Retire the current keys (they stay published) and create a new one."""
    now = utcnow()
    for old in db.session.scalars(sa.select(SigningKey).where(
            SigningKey.organisation_id == organisation.id, SigningKey.retired_at.is_(None))):
        old.retired_at = now
        audit.record("signing_key.retired", old, after={"key_id": old.key_id})
    return create_key(organisation)


def load_private_key(signing_key: SigningKey) -> Ed25519PrivateKey:
    return _private_key_from(private_key_path(signing_key), signing_key.key_id)


@lru_cache(maxsize=32)
def _private_key_from(path: Path, key_id: str) -> Ed25519PrivateKey:
    """Read and parse once per process: a key file never changes (rotating writes a new key id and
    file), and a bulk run signs hundreds of credentials with one key."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError as error:
        raise MissingPrivateKeyError(f"no private key file for {key_id}") from error
    private_key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(private_key, Ed25519PrivateKey):
        raise MissingPrivateKeyError(f"{key_id} is not an Ed25519 key")
    return private_key


def published_key(organisation: Organisation, key_id: str) -> SigningKey | None:
    """Any of the organisation's keys, retired or not: old credentials must still verify."""
    return db.session.scalar(sa.select(SigningKey).where(
        SigningKey.organisation_id == organisation.id, SigningKey.key_id == key_id))
