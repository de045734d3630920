"""Routes: job_views"""
from __future__ import annotations

from app.certificates.blueprint import bp  # noqa: F401
