"""Write a course back to a content pack: course.toml and lessons/<language>/<slug>.md.

The output is what packs.py reads, written deterministically, so export -> sync -> export
gives the same bytes. Lesson files are written exactly as stored (they are the Markdown).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from app.courses.models import Course, CourseSource
from app.courses.packs import content_root
from app.courses.queries import visible_lessons


def _string(value: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _texts(header: str, texts: dict[str, str], languages: list[str]) -> list[str]:
    lines = [f"[{header}]"]
    lines += [f"{language} = {_string(texts[language])}" for language in languages if texts.get(language)]
    return lines


def course_toml(course: Course) -> str:
    """course.toml in the same shape and key order as the packs in modules/."""
    languages = list(course.languages)
    lines = [
        f"slug = {_string(course.slug)}",
        f"version = {_string(course.version)}",
        f"languages = [{', '.join(_string(x) for x in languages)}]",
    ]
    if course.estimated_hours is not None:
        lines.append(f"estimated_hours = {_number(course.estimated_hours)}")
    if course.licence:
        lines.append(f"licence = {_string(course.licence)}")
    lines += ["", *_texts("title", course.title, languages), "", *_texts("summary", course.summary, languages)]
    if any(course.audience.get(x) for x in languages):
        lines += ["", *_texts("audience", course.audience, languages)]
    for source in course.sources or []:
        lines += ["", "[[sources]]", f"title = {_string(source['title'])}"]
        if source.get("url"):
            lines.append(f"url = {_string(source['url'])}")
    lessons = visible_lessons(course)
    modules = []
    for lesson in lessons:
        if not modules or modules[-1][0].id != lesson.module_id:
            modules.append((lesson.module, []))
        modules[-1][1].append(lesson)
    for module, module_lessons in modules:
        lines += ["", "[[modules]]", f"slug = {_string(module.slug)}",
                  *_texts("modules.title", module.title, languages)]
        for lesson in module_lessons:
            lines += ["", "[[modules.lessons]]", f"slug = {_string(lesson.slug)}"]
            if lesson.minutes is not None:
                lines.append(f"minutes = {lesson.minutes}")
    from app.quizzes.quiz_sync import quizzes_toml

    lines += quizzes_toml(course, languages)
    from app.certificates.rules import certification_toml

    lines += certification_toml(course.id, course.organisation_id)
    return "\n".join(lines) + "\n"


def export_course(course: Course, out: Path) -> Path:
    """Write the course as a pack folder out/<slug>/ and return it. Files of lessons no longer in it are removed."""
    root = out / course.slug
    root.mkdir(parents=True, exist_ok=True)
    (root / "course.toml").write_text(course_toml(course), encoding="utf-8", newline="\n")
    lessons = visible_lessons(course)
    for language in course.languages:
        folder = root / "lessons" / language
        folder.mkdir(parents=True, exist_ok=True)
        written = set()
        for lesson in lessons:
            content = next((c for c in lesson.contents if c.language == language), None)
            if content is not None:
                (folder / f"{lesson.slug}.md").write_text(content.body_markdown, encoding="utf-8", newline="\n")
                written.add(f"{lesson.slug}.md")
        for stale in folder.glob("*.md"):
            if stale.name not in written:
                stale.unlink()
    assets = content_root() / course.slug / "assets"
    if course.source is CourseSource.PACK and assets.is_dir() and assets.resolve() != (root / "assets").resolve():
        shutil.copytree(assets, root / "assets", dirs_exist_ok=True)
    return root
