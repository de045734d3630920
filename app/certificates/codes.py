"""Certificate codes people can read aloud and type: ACO-XXXX-XXXX-XXXX in Crockford base32.

Eleven random characters (55 bits) and one check character (Luhn mod 32), so a mistyped or
swapped character is caught before any lookup. I, L and O read as 1, 1 and 0; case and dashes are ignored.
"""
from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "ACO"
RANDOM_CHARS = 11
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"I": "1", "L": "1", "O": "0"})


def check_character(body: str) -> str:
    """Luhn mod N over the Crockford alphabet: detects every single substitution and adjacent swap."""
    factor, total, n = 2, 0, len(ALPHABET)
    for ch in reversed(body):
        addend = factor * _VALUES[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    full = body + check_character(body)
    return f"{PREFIX}-{full[0:4]}-{full[4:8]}-{full[8:12]}"


def normalise_code(text: str) -> str | None:
    """The canonical code for what a person typed, or None when it cannot be one of ours."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).translate(_ALIASES)
    if cleaned.startswith("AC0"):  # "ACO" after the O→0 alias
        cleaned = cleaned[3:]
    if len(cleaned) != RANDOM_CHARS + 1 or any(ch not in _VALUES for ch in cleaned):
        return None
    if check_character(cleaned[:-1]) != cleaned[-1]:
        return None
    return f"{PREFIX}-{cleaned[0:4]}-{cleaned[4:8]}-{cleaned[8:12]}"


TOKEN_BYTES = 16


def new_token() -> str:
    """The secret in public verification URLs: 128 random bits (22 characters).

    Enough that no one can guess or enumerate a certificate, and short enough that the printed
    QR code stays at version 4 (33 x 33 modules) for a usual BASE_URL: bigger modules on the same
    printed square scan better from a worn page, and the code is drawn faster. Older, longer
    tokens keep working."""
    return secrets.token_urlsafe(TOKEN_BYTES)
