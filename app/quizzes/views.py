"""Importing this module registers every quiz route on the blueprint."""
from __future__ import annotations

from app.quizzes import attempt_views, bank_views, models, report_views  # noqa: F401  (routes, schema)
from app.quizzes.blueprint import bp

__all__ = ["bp"]
