"""The competencies blueprint; routes live in assess_views (rating), report_views (feedback, cohort) and calibration_views."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("competencies", __name__, template_folder="templates")
