"""Course forms: shape only (here, just the CSRF token); the services decide."""
from __future__ import annotations

from flask_wtf import FlaskForm


class MarkDoneForm(FlaskForm):
    """"Mark as done": no fields, but CSRF-protected like every form."""
