"""The dashboards blueprint; routes live in cohort_views and org_views."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards", template_folder="templates")
