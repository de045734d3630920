"""Routes: report_views"""
from __future__ import annotations

from app.quizzes.blueprint import bp  # noqa: F401
