"""Configuration read from the environment, with safe embedded defaults (SQLite, demo)."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

VERSION = "0.1.0"
ROOT = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    return Path(os.environ.get("ACOMPANA_INSTANCE", ROOT / "instance")).resolve()


def _secret_key(instance: Path) -> str:
    """Use SECRET_KEY, else a key generated once into instance/ (never committed).

    Several workers may start at once: each writes a private temporary file and links it
    into place, which succeeds for exactly one of them, so all read the same complete key.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        candidate = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
                handle.flush()
                os.fsync(handle.fileno())
            os.link(candidate, path)
        except FileExistsError:
            pass  # another worker won the race; use its key
        finally:
            candidate.unlink(missing_ok=True)
    key = path.read_text().strip()
    if not key:
        raise RuntimeError(f"{path} is empty: delete it or set SECRET_KEY")
    return key


def _minutes(name: str, default: int) -> timedelta:
    return timedelta(minutes=int(os.environ.get(name, default)))


def from_environment() -> dict:
    instance = instance_path()
    base_url = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'acompana.db'}"
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    return {
        "VERSION": VERSION,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_URL": base_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        # Reverse proxies in front of the app (nginx, Caddy): their X-Forwarded-For gives the
        # client's address, which login throttling and the audit log need. 0 = trust no header.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", 0)),
        "SESSION_IDLE_TIMEOUT": _minutes("SESSION_IDLE_MINUTES", 30),
        "SESSION_ABSOLUTE_TIMEOUT": _minutes("SESSION_ABSOLUTE_MINUTES", 12 * 60),
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "acompana_session",
        "SESSION_REFRESH_EACH_REQUEST": False,
        "PERMANENT_SESSION_LIFETIME": _minutes("SESSION_ABSOLUTE_MINUTES", 12 * 60),
        "BABEL_DEFAULT_LOCALE": "es",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("DEFAULT_TIMEZONE", "America/Mexico_City"),
        "LANGUAGES": ("es", "en"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", 25)),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": os.environ.get("MAIL_USE_TLS", "") in ("1", "true", "yes"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "acompana@localhost"),
        "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "LOGIN_THROTTLE": {
            "account_free": 5, "ip_free": 20, "window_minutes": 15, "first_delay_seconds": 30, "max_delay_seconds": 900,
        },
        # Organisation dashboard: figures older than this are rebuilt in a background thread when the page is
        # viewed ("thread"), or only by `flask dashboards refresh` and the admins' button ("off").
        "DASHBOARD_MAX_AGE_MINUTES": int(os.environ.get("DASHBOARD_MAX_AGE_MINUTES", 60)),
        "DASHBOARD_REFRESH": os.environ.get("DASHBOARD_REFRESH", "thread"),
        # Signed-in pages reloaded while nothing was written are served from memory (app/core/page_cache.py):
        # never older than the last change; wording tied to the clock ("due today") at most this old. 0 = off.
        "PAGE_CACHE_SECONDS": int(os.environ.get("PAGE_CACHE_SECONDS", 60)),
        "PAGE_CACHE_MB": int(os.environ.get("PAGE_CACHE_MB", 32)),
    }
