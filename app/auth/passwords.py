"""Password policy (OWASP ASVS 5: length, not composition; no common passwords) and hashing."""
from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from app.core.i18n import _

MIN_LENGTH = 8
MAX_LENGTH = 128
_COMMON = Path(__file__).parent / "data" / "common-passwords.txt.gz"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A real hash to compare against when the account does not exist, so timing reveals nothing.

    Made on first use rather than at import: hashing costs ~0.15 s that every process start would pay."""
    return generate_password_hash("not-a-real-password-at-all", method="scrypt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(_COMMON, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def password_problems(password: str, *, username: str | None = None) -> list[str]:
    """Why this password may not be used; an empty list means it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords():
        problems.append(_("This password is too common. Choose one that is harder to guess, such as a short sentence."))
    if username and lowered == username.lower():
        problems.append(_("Do not use your username as your password."))
    return problems


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        check_password_hash(_dummy_hash(), password)
        return False
    return check_password_hash(password_hash, password)
