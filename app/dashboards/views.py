"""Importing this module registers every dashboard route on the blueprint."""
from __future__ import annotations

from app.dashboards import cohort_views  # noqa: F401  (routes)
from app.dashboards import org_views  # noqa: F401  (routes)
from app.dashboards.blueprint import bp

__all__ = ["bp"]
