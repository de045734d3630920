"""Importing this module registers every practice route on the blueprint."""
from __future__ import annotations

from app.practice import entry_views, models, notices, review_views  # noqa: F401  (routes, schema, messages)
from app.practice.blueprint import bp

__all__ = ["bp"]
