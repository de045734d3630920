"""User accounts and the records that keep logins safe."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.core.db import TimestampMixin, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.orgs.models import Organisation, Role, RoleAssignment, Site


class User(UserMixin, TimestampMixin, db.Model):
    """A person. Username is required: many community health workers have no email.

    Usernames and emails are stored lower-case (as the user services already clean them), so
    signing in ignores case and still finds the account through the plain unique indexes.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sites.id"), index=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    preferred_language: Mapped[str] = mapped_column(sa.String(8), default="es")
    password_hash: Mapped[str | None] = mapped_column(sa.String(256))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    site: Mapped[Site | None] = relationship()
    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @validates("username", "email")
    def _lower_case(self, _key: str, value: str | None) -> str | None:
        return value.strip().lower() if value else value

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    def roles_in(self, organisation_id: int) -> set[Role]:
        return {ra.role for ra in self.role_assignments if ra.organisation_id == organisation_id}

    @property
    def roles(self) -> set[Role]:
        """Roles in the user's own organisation."""
        return self.roles_in(self.organisation_id)

    def has_role(self, role: Role, organisation_id: int | None = None) -> bool:
        return role in self.roles_in(organisation_id or self.organisation_id)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserSession(db.Model):
    """A server-side login session, so logins get a fresh id and can be ended remotely."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed-attempt counter for one key (an account or an IP), shared by all workers."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]


class ResetCode(db.Model):
    """A one-time password reset code given by an admin or trainer (or sent by email)."""

    __tablename__ = "reset_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
