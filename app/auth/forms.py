"""Account forms: they check shape; the services check the rules."""
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from app.core.i18n import _l

LANGUAGE_CHOICES = [SelectChoice("es", "Español", render_kw={"lang": "es"}), SelectChoice("en", "English", render_kw={"lang": "en"})]


class LoginForm(FlaskForm):
    username = StringField(_l("Username or email"), validators=[DataRequired(), Length(max=254)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class NewPasswordMixin:
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=1024)],
                             description=_l("At least 8 characters. A short sentence is easy to remember and hard to guess."),
                             render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The two passwords are not the same."))],
                            render_kw={"autocomplete": "new-password"})


class ResetForm(NewPasswordMixin, FlaskForm):
    username = StringField(_l("Username or email"), validators=[DataRequired(), Length(max=254)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    code = StringField(_l("Reset code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The code your trainer or administrator gave you, for example K7QF-29XM-4HPB-T6RC."),
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"})


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)],
                            render_kw={"autocomplete": "current-password"})


class ForgotForm(FlaskForm):
    username = StringField(_l("Username or email"), validators=[DataRequired(), Length(max=254)])


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    next = HiddenField()


class PreferencesForm(FlaskForm):
    preferred_language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)


class LogoutForm(FlaskForm):
    """Only the CSRF token: logging out changes state, so it is a POST."""
