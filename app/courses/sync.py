"""Upsert content packs into the database by slug. Idempotent; never touches learners' progress.

Lessons are kept by (course, lesson slug) — lesson files share one folder per language, so a
slug is unique in its course — and only hidden when they leave the pack, so progress survives.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from app.courses.models import Course, CourseModule, CourseSource, Lesson, LessonContent
from app.courses.packs import Pack
from app.courses.rendering import render_lesson
from app.extensions import db


class SyncAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class PackConflictError(Exception):
    """A course authored on the web already uses this slug; a pack must not overwrite it."""


@dataclass(frozen=True)
class SyncResult:
    slug: str
    version: str
    action: SyncAction
    lessons_created: int = 0
    lessons_updated: int = 0
    lessons_hidden: int = 0

    def __str__(self) -> str:
        line = f"{self.action.value:9} {self.slug} {self.version}"
        if self.action is SyncAction.UNCHANGED:
            return line
        return (f"{line} (lessons: {self.lessons_created} created, {self.lessons_updated} updated, "
                f"{self.lessons_hidden} hidden)")


def _assign(obj: Any, **values: Any) -> bool:
    """Set only the attributes that differ, so an unchanged row is never written."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def sync_pack(pack: Pack) -> SyncResult:
    """Create or update the course of one pack. Flushes; the caller commits."""
    course = db.session.scalar(sa.select(Course).where(Course.slug == pack.slug))
    if course is not None and course.source is not CourseSource.PACK:
        raise PackConflictError(f"course '{pack.slug}' was authored on the web; rename the pack")
    if course is not None and course.content_hash == pack.content_hash:
        return SyncResult(pack.slug, pack.version, SyncAction.UNCHANGED)
    created = course is None
    if created:
        course = Course(slug=pack.slug, source=CourseSource.PACK)
        db.session.add(course)
    _assign(course, version=pack.version, languages=pack.languages, title=pack.title, summary=pack.summary,
            audience=pack.audience, estimated_hours=pack.estimated_hours, licence=pack.licence,
            sources=pack.sources, content_hash=pack.content_hash)
    db.session.flush()
    counts = _sync_structure(course, pack)
    from app.quizzes.quiz_sync import sync_quizzes

    sync_quizzes(course, pack.quizzes)
    from app.certificates.rules import sync_rule

    sync_rule(course.id, pack.certification)
    db.session.flush()
    return SyncResult(pack.slug, pack.version, SyncAction.CREATED if created else SyncAction.UPDATED, *counts)


def _sync_structure(course: Course, pack: Pack) -> tuple[int, int, int]:
    modules = {
        m.slug: m for m in db.session.scalars(sa.select(CourseModule).where(CourseModule.course_id == course.id))
    }
    lessons = {x.slug: x for x in db.session.scalars(sa.select(Lesson).where(Lesson.course_id == course.id))}
    contents = {
        (c.lesson_id, c.language): c
        for c in db.session.scalars(
            sa.select(LessonContent).join(Lesson).where(Lesson.course_id == course.id)
        )
    }
    lesson_slugs = {lesson.slug for lesson in pack.lessons}
    created = updated = 0
    kept_modules: set[str] = set()
    kept_contents: set[tuple[int, str]] = set()
    for m_position, pack_module in enumerate(pack.modules):
        module = modules.get(pack_module.slug)
        if module is None:
            module = modules[pack_module.slug] = CourseModule(course_id=course.id, slug=pack_module.slug)
            db.session.add(module)
        _assign(module, position=m_position, title=pack_module.title, is_hidden=False)
        db.session.flush()
        kept_modules.add(pack_module.slug)
        for l_position, pack_lesson in enumerate(pack_module.lessons):
            lesson = lessons.get(pack_lesson.slug)
            is_new = lesson is None
            if lesson is None:
                lesson = lessons[pack_lesson.slug] = Lesson(course_id=course.id, slug=pack_lesson.slug)
                db.session.add(lesson)
            changed = _assign(lesson, module_id=module.id, position=l_position, minutes=pack_lesson.minutes,
                              is_hidden=False)
            db.session.flush()
            for language, markdown in pack_lesson.texts.items():
                rendered = render_lesson(markdown, lesson_slugs=lesson_slugs, asset_versions=pack.assets)
                digest = hashlib.sha256(f"{rendered.title}\0{markdown}\0{rendered.html}".encode()).hexdigest()
                content = contents.get((lesson.id, language))
                if content is None:
                    db.session.add(LessonContent(lesson_id=lesson.id, language=language, title=rendered.title,
                                                 body_markdown=markdown, body_html=rendered.html, content_hash=digest))
                    changed = True
                elif content.content_hash != digest:
                    _assign(content, title=rendered.title, body_markdown=markdown, body_html=rendered.html,
                            content_hash=digest)
                    changed = True
                kept_contents.add((lesson.id, language))
            created += is_new
            updated += changed and not is_new
    kept_lessons = {lesson_id for lesson_id, _ in kept_contents}
    for key, content in contents.items():
        if key[0] in kept_lessons and key not in kept_contents:
            db.session.delete(content)  # a language dropped from the pack; progress is per lesson, not per text
    hidden = 0
    for slug, lesson in lessons.items():
        if slug not in lesson_slugs and not lesson.is_hidden:
            lesson.is_hidden = True
            hidden += 1
    for slug, module in modules.items():
        if slug not in kept_modules:
            module.is_hidden = True
    return created, updated, hidden
