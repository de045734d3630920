"""The research export form: pseudonyms or identities, and an optional shared key file."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectChoice
from wtforms.fields import RadioField

from app.core.i18n import _l

PSEUDONYMISED = "pseudonymised"
IDENTIFIED = "identified"


class ResearchExportForm(FlaskForm):
    mode = RadioField(_l("How people appear"), default=PSEUDONYMISED, choices=[
        SelectChoice(value=PSEUDONYMISED, label=_l("Pseudonyms: a code per person, no names (for research)")),
        SelectChoice(value=IDENTIFIED, label=_l("Identified: user ids, names and usernames (administrators only)")),
    ])
    key_file = FileField(_l("Shared key file (optional)"), description=_l(
        "Only for pseudonyms. Programmes that agree on one key file get the same pseudonyms for the same "
        "people. Leave empty to use your organisation's own key. The file is used once and not stored, so "
        "an export with a key file is made while you wait: it suits smaller organisations."))
