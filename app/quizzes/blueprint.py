"""The quizzes blueprint; its routes live in bank_views (banks, GIFT), attempt_views (taking) and report_views."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("quizzes", __name__, template_folder="templates")
