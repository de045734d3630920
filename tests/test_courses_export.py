"""flask content export: a course back to a pack; export -> sync -> export gives the same bytes."""
from __future__ import annotations

import tomllib
from pathlib import Path

from app.courses import authoring
from app.courses.packs import TOP_LEVEL_KEYS, load_pack
from app.courses.queries import visible_lessons
from app.courses.sync import sync_pack
from app.extensions import db
from tests.courses_support import DEMO_PACK, content_path, demo_course  # noqa: F401  (fixtures)
from tests.test_courses_authoring import make_web_course


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_export_sync_export_gives_the_same_bytes(app, org, make_user, tmp_path):
    author = make_user("trainer")
    course = make_web_course(org, author)
    lesson = visible_lessons(course)[0]
    authoring.save_lesson_text(lesson, "es", 'Título con "comillas" y \\ barra',
                               "Texto con [enlace](02-listening.md) y **negrita**.\n\n| a | b |\n|---|---|\n| 1 | 2 |",
                               author)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["content", "export", "web-course", "--out", str(tmp_path / "one")])
    assert first.exit_code == 0, first.output
    pack, problems = load_pack(tmp_path / "one" / "web-course")
    assert pack is not None and not problems, [str(p) for p in problems]
    assert [x.slug for x in pack.lessons] == ["01-welcome", "02-listening", "03-practice"]
    course.slug = "web-course-original"  # make room: a pack may not overwrite a web course
    db.session.flush()
    sync_pack(pack)
    second = runner.invoke(args=["content", "export", "web-course", "--out", str(tmp_path / "two")])
    assert second.exit_code == 0, second.output
    assert files(tmp_path / "two" / "web-course") == files(tmp_path / "one" / "web-course")
    text = (tmp_path / "one" / "web-course" / "lessons" / "es" / "01-welcome.md").read_text(encoding="utf-8")
    assert text.startswith('# Título con "comillas" y \\ barra\n\nTexto con [enlace](02-listening.md)')


def test_export_of_a_pack_course_reproduces_its_files(app, demo_course, tmp_path):
    result = app.test_cli_runner().invoke(args=["content", "export", "demo-course", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "demo-course"
    original = tomllib.loads((DEMO_PACK / "course.toml").read_text(encoding="utf-8"))
    exported = tomllib.loads((root / "course.toml").read_text(encoding="utf-8"))
    assert exported == {k: v for k, v in original.items() if k in TOP_LEVEL_KEYS}  # unknown keys are not kept
    for language in ("es", "en"):
        for path in (DEMO_PACK / "lessons" / language).glob("*.md"):
            assert (root / "lessons" / language / path.name).read_bytes() == path.read_bytes()
    assert (root / "assets" / "diagram.png").read_bytes() == (DEMO_PACK / "assets" / "diagram.png").read_bytes()


def test_export_of_an_unknown_course_fails(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["content", "export", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "no course 'nope'" in result.output


def test_export_writes_the_certification_rule_back(app, db_session, tmp_path):
    """The seed courses' [certification] tables survive export, and the exported pack loads again."""
    from app.quizzes.cli import sync_bank_files
    from app.competencies.cli import sync_tools
    from tests.conftest import ROOT
    from tests.courses_support import sync_fixture_pack

    sync_bank_files()
    sync_tools()
    for slug in ("pm-plus", "pfa"):
        sync_fixture_pack(ROOT / "modules" / slug)
        result = app.test_cli_runner().invoke(args=["content", "export", slug, "--out", str(tmp_path)])
        assert result.exit_code == 0, result.output
        original = tomllib.loads((ROOT / "modules" / slug / "course.toml").read_text(encoding="utf-8"))
        exported = tomllib.loads((tmp_path / slug / "course.toml").read_text(encoding="utf-8"))
        assert exported["certification"] == original["certification"]
        pack, problems = load_pack(tmp_path / slug)
        assert pack is not None and not [p for p in problems if "certification" in str(p)], [str(p) for p in problems]
