"""Routes: calibration_views"""
from __future__ import annotations

from app.competencies.blueprint import bp  # noqa: F401
