"""Courses as synced from content packs or authored on the web, lesson versions, and learners' progress."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, enum_column, utcnow
from app.extensions import db
from app.orgs.models import Cohort

if TYPE_CHECKING:
    from app.auth.models import User


class CourseSource(StrEnum):
    PACK = "pack"
    WEB = "web"


def in_language(texts: dict[str, str] | None, language: str, fallback: list[str] | None = None) -> str:
    """The text in this language, else in the first fallback language that has it."""
    texts = texts or {}
    for code in [language, *(fallback or []), *texts]:
        if texts.get(code):
            return texts[code]
    return ""


class Course(TimestampMixin, db.Model):
    """A course in one or more languages. Packs are shared by every organisation (organisation_id is None)."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    version: Mapped[str] = mapped_column(sa.String(32))
    languages: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    title: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    summary: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    audience: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    estimated_hours: Mapped[float | None] = mapped_column(sa.Float)
    licence: Mapped[str | None] = mapped_column(sa.String(200))
    sources: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    source: Mapped[CourseSource] = mapped_column(enum_column(CourseSource), default=CourseSource.PACK)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    is_published: Mapped[bool] = mapped_column(default=True)
    archived_at: Mapped[datetime | None]

    modules: Mapped[list[CourseModule]] = relationship(
        back_populates="course", order_by="CourseModule.position", cascade="all, delete-orphan"
    )

    def title_in(self, language: str) -> str:
        return in_language(self.title, language, self.languages)

    def summary_in(self, language: str) -> str:
        return in_language(self.summary, language, self.languages)

    def audience_in(self, language: str) -> str:
        return in_language(self.audience, language, self.languages)

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class CourseModule(db.Model):
    """An ordered part of a course. Hidden (not deleted) when it leaves the pack."""

    __tablename__ = "course_modules"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    is_hidden: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="module", order_by="Lesson.position")

    def title_in(self, language: str) -> str:
        return in_language(self.title, language, self.course.languages)


class Lesson(db.Model):
    """A lesson, kept by (course, slug) across syncs so progress survives; hidden when removed."""

    __tablename__ = "lessons"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("course_modules.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)
    minutes: Mapped[int | None]
    is_hidden: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship()
    module: Mapped[CourseModule] = relationship(back_populates="lessons")
    contents: Mapped[list[LessonContent]] = relationship(back_populates="lesson", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Lesson {self.slug}>"


class LessonContent(db.Model):
    """A lesson in one language; body_html is rendered and sanitized once, at sync time."""

    __tablename__ = "lesson_contents"
    __table_args__ = (sa.UniqueConstraint("lesson_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(300))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    # Who wrote this text on the web, when and why (None: it came from a content pack).
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    change_note: Mapped[str | None] = mapped_column(sa.String(300))

    lesson: Mapped[Lesson] = relationship(back_populates="contents")
    updated_by: Mapped[User | None] = relationship()


class LessonVersion(db.Model):
    """An earlier text of a lesson in one language, kept when a save replaced it (who wrote it, when, why)."""

    __tablename__ = "lesson_versions"
    __table_args__ = (sa.Index("ix_lesson_versions_lesson_language", "lesson_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(300))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    saved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    saved_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(sa.String(300))
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)

    lesson: Mapped[Lesson] = relationship()
    saved_by: Mapped[User | None] = relationship()


class CohortCourse(db.Model):
    """A cohort is given a course in one language."""

    __tablename__ = "cohort_courses"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    course: Mapped[Course] = relationship()


class LessonProgress(db.Model):
    """A learner finished a lesson. One row per (user, lesson): a replayed "mark as done" counts once."""

    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last time the learner marked it done again: a refresher for recertification counts from here.
    reviewed_at: Mapped[datetime | None]

    lesson: Mapped[Lesson] = relationship()
