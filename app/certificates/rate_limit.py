"""A per-client request budget for the public verification pages (no login, so no account to throttle).

Kept in the process's memory: each worker enforces its own budget, which bounds a scraper at
workers × budget per window — enough to stop guessing codes, free for someone checking a few.
"""
from __future__ import annotations

import os
import threading
import time
from collections import deque
from functools import wraps
from typing import Any, Callable

from flask import current_app, render_template, request

_lock = threading.Lock()
_hits: dict[str, deque[float]] = {}
_MAX_CLIENTS = 50_000


def _allow(client: str, limit: int, window: float, now: float) -> tuple[bool, int]:
    with _lock:
        hits = _hits.get(client)
        if hits is None:
            if len(_hits) >= _MAX_CLIENTS:
                _hits.clear()  # a flood of distinct addresses: start over rather than grow without bound
            hits = _hits[client] = deque()
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return False, int(hits[0] + window - now) + 1
        hits.append(now)
        return True, 0


def configured_limit() -> tuple[int, float]:
    """VERIFY_RATE_LIMIT="requests/seconds" in the environment; 60 per minute per client by default."""
    text = os.environ.get("VERIFY_RATE_LIMIT", "60/60")
    try:
        limit, window = text.split("/")
        return int(limit), float(window)
    except ValueError:
        return 60, 60.0


def reset() -> None:
    with _lock:
        _hits.clear()


def rate_limited(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 429 (with Retry-After) once a client passes VERIFY_RATE_LIMIT requests per window."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        limit, window = current_app.config.get("VERIFY_RATE_LIMIT") or configured_limit()
        allowed, retry_after = _allow(request.remote_addr or "unknown", int(limit), float(window), time.monotonic())
        if not allowed:
            body = render_template("certificates/verify_limited.html", retry_after=retry_after)
            return body, 429, {"Retry-After": str(retry_after)}
        return view(*args, **kwargs)

    return wrapper
