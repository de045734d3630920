"""The certificates blueprint; routes live in path_views (my path, cohort status, issue, revoke),
verify_views (public verification, PDF, Open Badges JSON, keys) and job_views (bulk issue)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("certificates", __name__, template_folder="templates")
