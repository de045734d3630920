"""Importing this module registers every certificate route on the blueprint."""
from __future__ import annotations

from app.certificates import badge_views, job_views, models, path_views, verify_views  # noqa: F401  (routes, schema)
from app.certificates import notices  # noqa: F401  (notification kinds)
from app.certificates.blueprint import bp

__all__ = ["bp"]
