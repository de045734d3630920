"""The public "check a certificate" form: one code, sent by GET so the result page can be bookmarked."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.core.i18n import _l


class VerifyCodeForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only lookup sent by GET: nothing to forge

    code = StringField(_l("Certificate code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("It is printed on the certificate, for example ACO-7K3F-9QX2."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
