"""Authoring courses on the web: courses, modules, lessons, their texts and earlier versions.

Services flush and never commit, raise AuthoringError (with the form field it concerns) and
write the audit log. Lessons keep their ids through every edit, reorder and restore, so
learners' recorded progress never changes.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.i18n import _
from app.courses.lesson_checks import check_lesson_markdown
from app.courses.models import (
    CohortCourse,
    Course,
    CourseModule,
    CourseSource,
    Lesson,
    LessonContent,
    LessonVersion,
)
from app.courses.packs import RESERVED_SLUGS, SLUG
from app.courses.rendering import RenderedLesson, render_lesson
from app.extensions import db

TITLE_LINES = 2  # "# Title" and the blank line the editor puts before the body


class AuthoringError(Exception):
    """A rule the author broke; `field` names the form field the message belongs next to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class LessonTextError(AuthoringError):
    """The lesson text has problems (each with the line of the body it is on)."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        super().__init__("; ".join(f"line {line}: {message}" for line, message in problems), "body")
        self.problems = problems


@dataclass
class CourseData:
    version: str
    languages: list[str]
    title: dict[str, str]
    summary: dict[str, str]
    audience: dict[str, str]
    estimated_hours: float | None
    licence: str


def _course_state(course: Course) -> dict[str, Any]:
    return {"slug": course.slug, "version": course.version, "languages": list(course.languages),
            "title": dict(course.title), "summary": dict(course.summary), "audience": dict(course.audience),
            "estimated_hours": course.estimated_hours, "licence": course.licence}


def _check_slug(slug: str, taken: bool, field: str = "slug") -> None:
    if not SLUG.match(slug):
        raise AuthoringError(_("Use lowercase letters, digits and hyphens, starting with a letter or digit."), field)
    if slug in RESERVED_SLUGS or taken:
        raise AuthoringError(_("This short name is already in use; choose another."), field)


def create_course(organisation_id: int, slug: str, data: CourseData) -> Course:
    """A new web course of the organisation, unpublished until a trainer publishes it."""
    taken = db.session.scalar(sa.select(Course.id).where(Course.slug == slug)) is not None
    _check_slug(slug, taken)
    course = Course(slug=slug, organisation_id=organisation_id, source=CourseSource.WEB, is_published=False,
                    sources=[])
    _apply_course_data(course, data)
    db.session.add(course)
    db.session.flush()
    audit.record("course.created", course, after=_course_state(course))
    return course


def update_course(course: Course, data: CourseData) -> None:
    _require_web(course)
    dropped = set(course.languages) - set(data.languages)
    if dropped:
        in_use = db.session.scalar(sa.select(CohortCourse.language).where(
            CohortCourse.course_id == course.id, CohortCourse.language.in_(dropped)).limit(1))
        if in_use is not None:
            raise AuthoringError(_("A cohort studies this course in %(language)s; keep that language.",
                                   language=in_use), "languages")
    before = _course_state(course)
    _apply_course_data(course, data)
    db.session.flush()
    after = _course_state(course)
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        audit.record("course.updated", course, before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed})


def _apply_course_data(course: Course, data: CourseData) -> None:
    course.version = data.version
    course.languages = list(data.languages)
    course.title = {lang: data.title[lang] for lang in data.languages}
    course.summary = {lang: data.summary[lang] for lang in data.languages}
    course.audience = {lang: data.audience[lang] for lang in data.languages if data.audience.get(lang)}
    course.estimated_hours = data.estimated_hours
    course.licence = data.licence


def _require_web(course: Course) -> None:
    if course.source is not CourseSource.WEB:
        raise AuthoringError(_("This course comes from a content pack; edit its files and run flask content sync."))


def set_published(course: Course, published: bool) -> None:
    _require_web(course)
    if published and course.archived_at is not None:
        raise AuthoringError(_("Restore the course from the archive before publishing it."))
    if published and not visible_lesson_count(course):
        raise AuthoringError(_("Add at least one lesson before publishing the course."))
    if course.is_published != published:
        course.is_published = published
        db.session.flush()
        audit.record("course.published" if published else "course.unpublished", course)


def set_archived(course: Course, archived: bool) -> None:
    """Archived courses leave My courses; their lessons and everyone's progress stay."""
    _require_web(course)
    if archived and course.archived_at is None:
        course.archived_at = utcnow()
        audit.record("course.archived", course)
    elif not archived and course.archived_at is not None:
        course.archived_at = None
        audit.record("course.unarchived", course)
    db.session.flush()


def visible_lesson_count(course: Course) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Lesson.id)).join(CourseModule, CourseModule.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.is_hidden.is_(False), CourseModule.is_hidden.is_(False))
    ) or 0


# -- modules -------------------------------------------------------------------------------

def add_module(course: Course, slug: str, title: dict[str, str]) -> CourseModule:
    _require_web(course)
    taken = db.session.scalar(sa.select(CourseModule.id).where(
        CourseModule.course_id == course.id, CourseModule.slug == slug)) is not None
    _check_slug(slug, taken)
    last = db.session.scalar(sa.select(sa.func.max(CourseModule.position)).where(CourseModule.course_id == course.id))
    module = CourseModule(course_id=course.id, slug=slug, title=dict(title), position=(last or 0) + 1)
    db.session.add(module)
    db.session.flush()
    audit.record("course.module_added", course, after={"module": slug, "title": dict(title)})
    return module


def rename_module(module: CourseModule, title: dict[str, str]) -> None:
    _require_web(module.course)
    if module.title != title:
        before = dict(module.title)
        module.title = dict(title)
        db.session.flush()
        audit.record("course.module_renamed", module.course, before={"module": module.slug, "title": before},
                     after={"module": module.slug, "title": dict(title)})


def _swap(items: list[Any], item: Any, step: int) -> bool:
    """Move item one place up (-1) or down (+1) among items, renumbering positions; False at an end."""
    index = items.index(item)
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    for position, each in enumerate(items):
        each.position = position
    db.session.flush()
    return True


def move_module(module: CourseModule, step: int) -> bool:
    course = module.course
    _require_web(course)
    modules = [m for m in sorted(course.modules, key=lambda m: (m.position, m.id)) if not m.is_hidden]
    moved = _swap(modules, module, step)
    if moved:
        audit.record("course.module_moved", course, after={"module": module.slug, "order": [m.slug for m in modules]})
    return moved


# -- lessons -------------------------------------------------------------------------------

def split_title(markdown: str) -> tuple[str, str]:
    """A lesson file's '# Title' heading and the body below it (the editor shows them apart)."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None or not lines[first].startswith("# "):
        return "", markdown
    return lines[first][2:].strip(), "\n".join(lines[first + 1:]).strip("\n")


def compose_markdown(title: str, body: str) -> str:
    """The lesson file: the title heading, a blank line, the body; Unix line ends, one final newline."""
    body = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    text = f"# {title.strip()}\n"
    return f"{text}\n{body.rstrip()}\n" if body.strip() else text


def course_lesson_slugs(course: Course) -> set[str]:
    return set(db.session.scalars(sa.select(Lesson.slug).where(Lesson.course_id == course.id,
                                                               Lesson.is_hidden.is_(False))))


def body_problems(course: Course, markdown: str) -> list[tuple[int, str]]:
    """The pack checks (no raw HTML, links to lessons of this course), with lines counted in the body."""
    problems = check_lesson_markdown(markdown, assets={}, lesson_slugs=course_lesson_slugs(course))
    return [(max(line - TITLE_LINES, 1), message) for line, message in problems]


def preview(course: Course, title: str, body: str) -> RenderedLesson:
    """What learners would see: the same renderer and nh3 allowlist as a saved lesson."""
    return render_lesson(compose_markdown(title, body), lesson_slugs=course_lesson_slugs(course))


def _render(course: Course, markdown: str) -> tuple[RenderedLesson, str]:
    rendered = render_lesson(markdown, lesson_slugs=course_lesson_slugs(course))
    digest = hashlib.sha256(f"{rendered.title}\0{markdown}\0{rendered.html}".encode()).hexdigest()
    return rendered, digest


def add_lesson(module: CourseModule, slug: str, minutes: int | None, titles: dict[str, str],
               author: User) -> Lesson:
    """A new lesson at the end of the module, with a title (and no body yet) in each language."""
    course = module.course
    _require_web(course)
    taken = db.session.scalar(sa.select(Lesson.id).where(Lesson.course_id == course.id, Lesson.slug == slug))
    _check_slug(slug, taken is not None)
    last = db.session.scalar(sa.select(sa.func.max(Lesson.position)).where(Lesson.module_id == module.id))
    lesson = Lesson(course_id=course.id, module_id=module.id, slug=slug, minutes=minutes,
                    position=(last if last is not None else -1) + 1)
    db.session.add(lesson)
    db.session.flush()
    for language, title in titles.items():
        markdown = compose_markdown(title, "")
        rendered, digest = _render(course, markdown)
        db.session.add(LessonContent(lesson_id=lesson.id, language=language, title=rendered.title,
                                     body_markdown=markdown, body_html=rendered.html, content_hash=digest,
                                     updated_at=utcnow(), updated_by_id=author.id))
    db.session.flush()
    audit.record("course.lesson_added", course, after={"lesson": slug, "module": module.slug})
    return lesson


def move_lesson(lesson: Lesson, step: int) -> bool:
    """One place up or down inside its module."""
    course = lesson.course
    _require_web(course)
    lessons = [x for x in sorted(lesson.module.lessons, key=lambda x: (x.position, x.id)) if not x.is_hidden]
    moved = _swap(lessons, lesson, step)
    if moved:
        audit.record("course.lesson_moved", course, after={"lesson": lesson.slug, "order": [x.slug for x in lessons]})
    return moved


def lesson_content(lesson: Lesson, language: str) -> LessonContent | None:
    return db.session.scalar(sa.select(LessonContent).where(LessonContent.lesson_id == lesson.id,
                                                            LessonContent.language == language))


def _keep_version(content: LessonContent) -> LessonVersion:
    version = LessonVersion(lesson_id=content.lesson_id, language=content.language, title=content.title,
                            body_markdown=content.body_markdown, saved_by_id=content.updated_by_id,
                            saved_at=content.updated_at, note=content.change_note)
    db.session.add(version)
    return version


def _write_text(lesson: Lesson, language: str, markdown: str, author: User, note: str | None) -> LessonContent:
    """Store a new text, keeping the one it replaces as a version. An unchanged text is not saved again."""
    course = lesson.course
    rendered, digest = _render(course, markdown)
    content = lesson_content(lesson, language)
    if content is None:
        content = LessonContent(lesson_id=lesson.id, language=language, title=rendered.title, body_markdown=markdown,
                                body_html=rendered.html, content_hash=digest)
        db.session.add(content)
    elif content.body_markdown == markdown:
        return content
    else:
        _keep_version(content)
        content.title, content.body_markdown, content.body_html = rendered.title, markdown, rendered.html
        content.content_hash = digest
    content.updated_at, content.updated_by_id, content.change_note = utcnow(), author.id, note or None
    db.session.flush()
    return content


def save_lesson_text(lesson: Lesson, language: str, title: str, body: str, author: User,
                     note: str | None = None) -> LessonContent:
    """Check the text as packs are checked, then store it; the previous text becomes a version."""
    course = lesson.course
    _require_web(course)
    if language not in course.languages:
        raise AuthoringError(_("This course is not written in that language."))
    if not title.strip():
        raise AuthoringError(_("Enter the lesson title."), "title")
    markdown = compose_markdown(title, body)
    problems = body_problems(course, markdown)
    if problems:
        raise LessonTextError(problems)
    content = _write_text(lesson, language, markdown, author, note)
    audit.record("lesson.saved", lesson, organisation_id=course.organisation_id,
                 after={"lesson": lesson.slug, "language": language, "title": content.title})
    return content


def lesson_versions(lesson: Lesson, language: str) -> list[LessonVersion]:
    """Earlier texts, newest first."""
    return list(db.session.scalars(
        sa.select(LessonVersion).where(LessonVersion.lesson_id == lesson.id, LessonVersion.language == language)
        .order_by(LessonVersion.id.desc())
    ))


def restore_version(version: LessonVersion, author: User) -> LessonContent:
    """Bring an earlier text back; the text it replaces becomes a version too, so nothing is lost."""
    lesson = version.lesson
    _require_web(lesson.course)
    when = version.saved_at.strftime("%Y-%m-%d %H:%M UTC") if version.saved_at else "?"
    content = _write_text(lesson, version.language, version.body_markdown, author,
                          f"Restored the version of {when}")
    audit.record("lesson.restored", lesson, organisation_id=lesson.course.organisation_id,
                 after={"lesson": lesson.slug, "language": version.language, "version_id": version.id})
    return content
