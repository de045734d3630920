"""The notification centre: each person's notifications, unread first; marking read is a POST."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user, login_required

from app.core.i18n import _, ngettext
from app.core.redirects import safe_next
from app.extensions import db
from app.notifications import services
from app.notifications.catalogue import render
from app.notifications.models import Notification

bp = Blueprint("notifications", __name__, template_folder="templates", url_prefix="/notifications")


def unread_notifications() -> int:
    """The header badge: one count query per page, remembered for the rest of the request."""
    if not current_user.is_authenticated:
        return 0
    if "unread_notifications" not in g:
        g.unread_notifications = services.unread_count(current_user)
    return g.unread_notifications


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(unread_notifications=unread_notifications, notification_text=render)


def _mine(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    return notification


@bp.route("")
@login_required
def notifications_index():
    unread, read = services.notifications_of(current_user)
    return render_template("notifications/index.html", unread=unread, read=read)


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def notifications_open(notification_id: int):
    notification = _mine(notification_id)
    services.mark_read(notification)
    db.session.commit()
    return redirect(safe_next(notification.url, "notifications.notifications_index"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def notifications_read(notification_id: int):
    services.mark_read(_mine(notification_id))
    db.session.commit()
    flash(_("Marked as read."), "success")
    return redirect(url_for("notifications.notifications_index"))


@bp.route("/read-all", methods=["POST"])
@login_required
def notifications_read_all():
    count = services.mark_all_read(current_user)
    db.session.commit()
    flash(ngettext("%(num)d notification marked as read.", "%(num)d notifications marked as read.", count), "success")
    return redirect(url_for("notifications.notifications_index"))
