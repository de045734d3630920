"""Create, read and mark notifications; email them after the commit when mail is configured.

notify() only adds rows (flush); the view commits, then calls send_pending_emails().
"""
from __future__ import annotations

import smtplib
from typing import Any, Iterable, Protocol

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask_babel import force_locale

from app.auth.models import User
from app.core.db import utcnow
from app.core.i18n import _
from app.core.mail import mail_configured, send_mail
from app.extensions import db
from app.notifications.catalogue import render
from app.notifications.models import Notification

READ_SHOWN = 50  # read notifications listed under the unread ones


class Recipient(Protocol):
    """Who a notification is for: a User, or anything carrying its id and organisation."""

    id: int
    organisation_id: int


def notify(users: Iterable[Recipient], kind: str, params: dict[str, Any], url: str | None, urgent: bool = False,
           dedupe_key: str | None = None) -> list[Notification]:
    """One notification per distinct user (none twice for the same dedupe_key). Flushes; the caller commits."""
    created = []
    seen: set[int] = set()
    for user in users:
        if user.id in seen:
            continue
        seen.add(user.id)
        if dedupe_key is not None and db.session.scalar(
                sa.select(Notification.id).where(Notification.user_id == user.id,
                                                 Notification.dedupe_key == dedupe_key).limit(1)) is not None:
            continue
        row = Notification(user_id=user.id, organisation_id=user.organisation_id, kind=kind, params=params, url=url,
                           is_urgent=urgent, dedupe_key=dedupe_key)
        db.session.add(row)
        created.append(row)
    db.session.flush()
    _forget_unread_count()
    if has_app_context():
        g.setdefault("notifications_to_email", []).extend(row.id for row in created)
    return created


def unread_count(user: User) -> int:
    return db.session.scalar(_unread_count_select(user.id)) or 0


def _unread_count_select(user_id: Any) -> sa.Select:
    return (sa.select(sa.func.count()).select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None)))


def unread_count_of_user_column(user_id: Any) -> sa.ScalarSelect:
    """The unread count as a column, so the signed-in user's statement also brings the header badge."""
    return _unread_count_select(user_id).correlate_except(Notification).scalar_subquery()


def remember_unread_count(count: int | None) -> None:
    """Keep the header badge for this request (forgotten as soon as notifications change)."""
    if has_app_context():
        g.unread_notifications = count or 0


def _forget_unread_count() -> None:
    if has_app_context():
        g.pop("unread_notifications", None)


def notifications_of(user: User) -> tuple[list[Notification], list[Notification]]:
    """(unread, recently read): urgent and newest first."""
    unread = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .order_by(Notification.is_urgent.desc(), Notification.created_at.desc(), Notification.id.desc()))
    read = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user.id, Notification.read_at.is_not(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(READ_SHOWN))
    return list(unread), list(read)


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
        _forget_unread_count()


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    _forget_unread_count()
    return result.rowcount or 0


def _email(notification: Notification) -> None:
    user = notification.user
    with force_locale(user.preferred_language or "es"):
        text = render(notification.kind, notification.params)
        link = current_app.config["BASE_URL"] + notification.url if notification.url else ""
        body = "\n\n".join(part for part in (
            text, link, _("You get this email because you have an Acompaña account. "
                          "All your notifications are on the Notifications page.")) if part)
        send_mail(user.email, _("Acompaña: %(text)s", text=text[:90]), body)


def send_pending_emails(ids: Iterable[int] | None = None) -> int:
    """Email the notifications created in this request (or these ids). Run after the commit.

    A failed send is logged and left with emailed_at empty (`flask notifications send-emails` retries);
    the change the person made is already saved. Commits its own small transaction.
    """
    pending = list(ids) if ids is not None else g.pop("notifications_to_email", [])
    if not pending or not mail_configured():
        return 0
    rows = db.session.scalars(
        sa.select(Notification).join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(pending), Notification.emailed_at.is_(None), User.email.is_not(None),
               User.is_active_account.is_(True)))
    sent = 0
    for row in rows:
        try:
            _email(row)
        except (OSError, smtplib.SMTPException) as error:
            current_app.logger.error("notification %s: mail to user %s failed: %s", row.id, row.user_id, error)
            continue
        row.emailed_at = utcnow()
        sent += 1
    db.session.commit()
    return sent
