"""Importing this module registers every competency route on the blueprint."""
from __future__ import annotations

from app.competencies import assess_views, calibration_views, models, report_views  # noqa: F401  (routes, schema)
from app.competencies.blueprint import bp

__all__ = ["bp"]
