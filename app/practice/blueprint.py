"""The practice blueprint; routes live in entry_views (the trainee's log) and review_views (supervisors, staff)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("practice", __name__, template_folder="templates")
