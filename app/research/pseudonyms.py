"""Stable pseudonyms for people in research exports: a keyed hash (HMAC-SHA256) of the user's id on this server.

The key is the organisation's own research key, made on first use and kept in ``instance/keys/``
(mode 0600), or a key file an administrator supplies for one export so that several programmes
that agree on one key share one pseudonym scheme. Without the key a pseudonym cannot be turned
back into a person: there is nothing to look up and nothing to invert.

The hashed message names the server (its BASE_URL) as well as the user id: user ids are unique on
one server only, so two servers' user 17 would otherwise get the same pseudonym under a shared key.
"""
from __future__ import annotations

import base64
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from flask import current_app

from app.certificates.keys import keys_dir, write_secret_file
from app.orgs.models import Organisation

PREFIX = "P-"
LENGTH = 16  # base32 characters: 80 bits, so two people never share a pseudonym in practice
MESSAGE = "acompana-person-v2:{server}/users/{user_id}"
MIN_KEY_LENGTH = 32
MAX_KEY_LENGTH = 1024


class KeyFileError(ValueError):
    """The key file cannot be used (too short, too long, or empty)."""


def parse_key(data: bytes) -> bytes:
    """The key in a key file: its bytes without surrounding spaces or line ends (editors add them)."""
    key = data.strip()
    if len(key) > MAX_KEY_LENGTH:
        raise KeyFileError(f"a key file holds at most {MAX_KEY_LENGTH} characters")
    if len(key) < MIN_KEY_LENGTH:
        raise KeyFileError(f"a key file holds at least {MIN_KEY_LENGTH} characters")
    return key


def server_address() -> str:
    """This server's public address (BASE_URL), the part of each pseudonym's message that no other server shares."""
    return str(current_app.config["BASE_URL"]).rstrip("/")


def key_path(organisation: Organisation) -> Path:
    return keys_dir() / f"research-{organisation.id}.key"


def organisation_key(organisation: Organisation) -> tuple[bytes, bool]:
    """The organisation's research key and whether it was made now (on the first pseudonymised export).

    The file holds 64 hex characters, the same form an uploaded key file takes, so it can be shared
    with partner programmes as their agreed key. A temporary file is linked into place, so two
    exports starting together end up with the same complete key.
    """
    path = key_path(organisation)
    created = False
    if not path.exists():
        candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        write_secret_file(candidate, (secrets.token_hex(32) + "\n").encode())
        try:
            os.link(candidate, path)
            created = True
        except FileExistsError:
            pass  # another export made it first: use theirs
        finally:
            candidate.unlink(missing_ok=True)
    try:
        return parse_key(path.read_bytes()), created
    except KeyFileError as error:
        raise KeyFileError(f"{path}: {error}; move it away to make a new key") from error


def fingerprint(key: bytes) -> str:
    """A short public check that two exports used the same key; it reveals nothing about the key."""
    return hmac.digest(key, b"acompana-key-fingerprint", "sha256").hex()[:16]


class Pseudonymiser:
    """Turns a user id into what the export shows: the id itself (identified) or its pseudonym."""

    def __init__(self, key: bytes | None, server: str = "") -> None:
        if key is not None and not server:
            raise ValueError("a pseudonym needs the server's address")
        self.identified = key is None
        self._key = key
        self._server = server
        # Bounded: a person appears in many rows, but memory must not grow with the organisation.
        self._pseudonym = lru_cache(maxsize=65536)(self._compute)

    def _compute(self, user_id: int) -> str:
        assert self._key is not None
        digest = hmac.digest(self._key, MESSAGE.format(server=self._server, user_id=user_id).encode(), "sha256")
        return PREFIX + base64.b32encode(digest).decode()[:LENGTH]

    def __call__(self, user_id: int | None) -> int | str | None:
        if user_id is None:
            return None
        return user_id if self.identified else self._pseudonym(user_id)


def pseudonym(key: bytes, user_id: int, server: str | None = None) -> str:
    """One person's pseudonym under a key, on this server unless another is named (what the README describes)."""
    return Pseudonymiser(key, server or server_address())(user_id)  # type: ignore[return-value]

