"""flask content sync: upsert by slug, idempotent, and learners' progress survives every re-sync."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.courses.models import Course, CourseModule, CourseSource, Lesson, LessonContent, LessonProgress
from app.courses.packs import load_pack
from app.courses.queries import visible_lessons
from app.courses.services import mark_lesson_done
from app.courses.sync import PackConflictError, SyncAction, sync_pack
from app.extensions import db
from tests.courses_support import DEMO_PACK, content_path, pack_copy  # noqa: F401  (fixtures)

# 03-practice is dropped; 02-listening moves from "basics" to "practice".
MODULES_AFTER_EDIT = """[[modules]]
slug = "basics"
[modules.title]
es = "Fundamentos"
en = "Basics"
[[modules.lessons]]
slug = "01-welcome"

[[modules]]
slug = "practice"
[modules.title]
es = "Práctica"
en = "Practice"
[[modules.lessons]]
slug = "02-listening"
"""


def _sync(root=DEMO_PACK):
    pack, problems = load_pack(root)
    assert not [p for p in problems if p.is_error]
    return sync_pack(pack)


def _count_writes(connection):
    writes = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    sa.event.listen(connection, "before_cursor_execute", record)
    return writes


def test_first_sync_creates_the_course_with_rendered_lessons(db_session):
    result = _sync()
    assert result.action is SyncAction.CREATED and result.lessons_created == 3
    course = db.session.scalar(sa.select(Course).where(Course.slug == "demo-course"))
    assert course.source is CourseSource.PACK and course.version == "1.0.0"
    assert course.title_in("en") == "Test course" and course.estimated_hours == 2
    assert [m.slug for m in course.modules] == ["basics", "practice"]
    assert [x.slug for x in visible_lessons(course)] == ["01-welcome", "02-listening", "03-practice"]
    content = db.session.scalar(sa.select(LessonContent).join(Lesson).where(
        Lesson.slug == "01-welcome", LessonContent.language == "es"))
    assert content.title == "Bienvenida"
    assert '<a href="02-listening" rel="noopener noreferrer">' in content.body_html
    assert '<img src="../assets/diagram.png?v=' in content.body_html
    assert "<h1>" not in content.body_html  # the title is the page's h1, not part of the body


def test_second_sync_changes_nothing_and_writes_nothing(db_session):
    _sync()
    db.session.flush()
    writes = _count_writes(db.session.connection())
    result = _sync()
    db.session.flush()
    assert result.action is SyncAction.UNCHANGED
    assert writes == []


def test_cli_sync_twice_reports_unchanged(app, content_path):  # noqa: F811
    runner = app.test_cli_runner()
    first = runner.invoke(args=["content", "sync", str(DEMO_PACK)])
    assert first.exit_code == 0, first.output
    assert "created   demo-course 1.0.0 (lessons: 3 created" in first.output
    second = runner.invoke(args=["content", "sync", str(DEMO_PACK)])
    assert second.exit_code == 0, second.output
    assert "unchanged demo-course 1.0.0" in second.output


def test_progress_survives_a_resync_with_an_edited_and_a_removed_lesson(db_session, make_user, pack_copy):  # noqa: F811
    _sync(pack_copy)
    course = db.session.scalar(sa.select(Course).where(Course.slug == "demo-course"))
    trainee = make_user("trainee")
    lessons = {x.slug: x for x in visible_lessons(course)}
    ids_before = {slug: x.id for slug, x in lessons.items()}
    for slug in ("01-welcome", "03-practice"):
        mark_lesson_done(trainee, lessons[slug])

    welcome = pack_copy / "lessons" / "es" / "01-welcome.md"
    welcome.write_text(welcome.read_text().replace("escuchar", "acompañar"))
    for language in ("es", "en"):
        (pack_copy / "lessons" / language / "03-practice.md").unlink()
        listening = pack_copy / "lessons" / language / "02-listening.md"
        listening.write_text(listening.read_text().split("\n\nM")[0] + "\n")
    toml = pack_copy / "course.toml"
    head = toml.read_text().split("[[modules]]")[0].replace('version = "1.0.0"', 'version = "1.1.0"')
    toml.write_text(head + MODULES_AFTER_EDIT)
    result = _sync(pack_copy)
    db.session.expire_all()

    assert result.action is SyncAction.UPDATED and result.lessons_hidden == 1
    assert course.version == "1.1.0"
    visible = visible_lessons(course)
    assert [x.slug for x in visible] == ["01-welcome", "02-listening"]
    assert {x.slug: x.id for x in visible} == {s: ids_before[s] for s in ("01-welcome", "02-listening")}
    moved = next(x for x in visible if x.slug == "02-listening")
    assert moved.module.slug == "practice"  # moved between modules, same lesson, same progress
    assert db.session.get(Lesson, ids_before["03-practice"]).is_hidden
    done = set(db.session.scalars(sa.select(LessonProgress.lesson_id).where(LessonProgress.user_id == trainee.id)))
    assert done == {ids_before["01-welcome"], ids_before["03-practice"]}
    content = db.session.scalar(sa.select(LessonContent).where(
        LessonContent.lesson_id == ids_before["01-welcome"], LessonContent.language == "es"))
    assert "acompañar" in content.body_html


def test_a_module_removed_from_the_pack_is_hidden(db_session, pack_copy):  # noqa: F811
    _sync(pack_copy)
    toml = pack_copy / "course.toml"
    text = toml.read_text()
    toml.write_text(text[: text.index('[[modules]]\nslug = "practice"')])
    (pack_copy / "lessons" / "es" / "01-welcome.md").write_text("# Bienvenida\n\nHola.\n")
    for language in ("es", "en"):
        (pack_copy / "lessons" / language / "02-listening.md").write_text("# Escuchar\n\nSin enlaces.\n")
    _sync(pack_copy)
    module = db.session.scalar(sa.select(CourseModule).where(CourseModule.slug == "practice"))
    assert module.is_hidden


def test_a_pack_never_overwrites_a_course_authored_on_the_web(db_session):
    db.session.add(Course(slug="demo-course", version="0.1", languages=["es"], title={"es": "Web"},
                          source=CourseSource.WEB))
    db.session.flush()
    pack, _ = load_pack(DEMO_PACK)
    with pytest.raises(PackConflictError):
        sync_pack(pack)
