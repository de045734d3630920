"""Sign in and out, reset codes, the user's own account and language."""
from __future__ import annotations

import smtplib

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.auth import services
from app.auth.forms import ChangePasswordForm, ForgotForm, LanguageForm, LoginForm, LogoutForm, PreferencesForm, ResetForm
from app.auth.sessions import end_current_session, start_session
from app.core import audit
from app.core.i18n import _
from app.core.mail import mail_configured, send_mail
from app.core.redirects import safe_next
from app.extensions import db

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if session.pop("expired", False):
        flash(_("Your session ended after a period without activity. Please sign in again."), "info")
    status = 200
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data, request.remote_addr)
        if result.user is not None:
            chosen_language = session.get("language")  # chosen on this device before signing in
            start_session(result.user)
            if chosen_language in current_app.config["LANGUAGES"]:
                result.user.preferred_language = chosen_language
                session["language"] = chosen_language
            db.session.commit()
            return redirect(safe_next(form.next.data))
        db.session.commit()
        if result.throttled_for:
            status = 429
            flash(_("Too many attempts. Wait %(seconds)d seconds and try again.", seconds=result.throttled_for), "error")
        else:
            status = 401
            flash(_("The username or password is not correct."), "error")
    return render_template("auth/login.html", form=form, mail=mail_configured()), status


@bp.route("/logout", methods=["POST"])
def logout():
    if LogoutForm().validate_on_submit() and current_user.is_authenticated:
        audit.record("logout", current_user._get_current_object())
        end_current_session()
        db.session.commit()
        flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/reset", methods=["GET", "POST"])
def reset():
    form = ResetForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.redeem_reset_code(form.username.data, form.code.data, form.password.data, request.remote_addr)
        except services.ThrottledError as error:
            db.session.commit()
            flash(_("Too many attempts. Wait %(seconds)d seconds and try again.", seconds=error.seconds), "error")
            status = 429
        except services.PasswordPolicyError as error:
            db.session.rollback()
            form.password.errors = list(error.problems)
            status = 422
        except services.AccountError:
            db.session.commit()
            form.code.errors = [_("This code is not valid for this user, or it has expired or been used. Ask for a new one.")]
            status = 422
        else:
            db.session.commit()
            flash(_("Your password has been changed. You can sign in now."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form), status


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    form = ForgotForm()
    if mail_configured() and form.validate_on_submit():
        try:
            user, code = services.request_reset_by_email(form.username.data, request.remote_addr)
        except services.ThrottledError as error:
            flash(_("Too many attempts. Wait %(seconds)d seconds and try again.", seconds=error.seconds), "error")
            return render_template("auth/forgot.html", form=form, mail=True), 429
        db.session.commit()
        if user is not None and code:
            try:
                send_mail(
                    user.email,
                    _("Your Acompaña password reset code"),
                    _("Your reset code is %(code)s. It works once, for 24 hours. Enter it at %(url)s",
                      code=code, url=current_app.config["BASE_URL"] + url_for("auth.reset")),
                )
            except (OSError, smtplib.SMTPException) as error:  # same answer either way: no account probing
                current_app.logger.error("reset code mail to user %s failed: %s", user.id, error)
        flash(_("If this account has an email address, we have sent a reset code to it."), "info")
        return redirect(url_for("auth.reset"))
    return render_template("auth/forgot.html", form=form, mail=mail_configured())


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_user._get_current_object()
    form = ChangePasswordForm()
    prefs = PreferencesForm(preferred_language=user.preferred_language)
    status = 200
    if form.validate_on_submit():
        try:
            services.change_password(user, form.current.data, form.password.data, request.remote_addr)
        except services.ThrottledError as error:
            flash(_("Too many attempts. Wait %(seconds)d seconds and try again.", seconds=error.seconds), "error")
            status = 429
        except services.PasswordPolicyError as error:
            db.session.rollback()
            form.password.errors = list(error.problems)
            status = 422
        except services.AccountError:
            db.session.commit()  # keep the counted failure
            form.current.errors = [_("The current password is not correct.")]
            status = 422
        else:
            db.session.commit()
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, prefs=prefs), status


@bp.route("/account/preferences", methods=["POST"])
@login_required
def preferences():
    prefs = PreferencesForm()
    if prefs.validate_on_submit():
        current_user.preferred_language = prefs.preferred_language.data
        db.session.commit()
        flash(_("Your preferences have been saved."), "success")
    return redirect(url_for("auth.account"))


@bp.route("/language", methods=["POST"])
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            current_user.preferred_language = form.language.data
            db.session.commit()
    return redirect(safe_next(form.next.data or request.referrer and urlsplit_path(request.referrer)))


def urlsplit_path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")
