"""Content packs: the valid pack loads; each broken pack is reported as `file:line: message` with exit 1."""
from __future__ import annotations

import pytest

from app.config import ROOT
from app.courses.packs import load_pack
from tests.courses_support import DEMO_PACK, pack_copy  # noqa: F401  (fixture)


def test_valid_pack_loads():
    pack, problems = load_pack(DEMO_PACK)
    assert [str(p) for p in problems if p.is_error] == []
    assert pack.slug == "demo-course" and pack.version == "1.0.0"
    assert pack.languages == ["es", "en"]
    assert pack.title == {"es": "Curso de prueba", "en": "Test course"}
    assert [m.slug for m in pack.modules] == ["basics", "practice"]
    assert [x.slug for x in pack.lessons] == ["01-welcome", "02-listening", "03-practice"]
    assert pack.lessons[1].minutes == 20
    assert pack.lessons[0].texts["en"].startswith("# Welcome")
    assert set(pack.assets) == {"diagram.png"}
    assert pack.sources == [{"title": "Una fuente de ejemplo", "url": "https://example.org/source"}]


def test_unknown_top_level_key_is_a_warning_not_an_error(app):
    result = app.test_cli_runner().invoke(args=["content", "validate", str(DEMO_PACK)])
    assert result.exit_code == 0, result.output
    assert "demo-course/course.toml:7: warning: unknown key 'glossary' (ignored)" in result.output


def _line(path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def _replace(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def _validate(app, pack):
    return app.test_cli_runner().invoke(args=["content", "validate", str(pack)])


def _missing_version(pack):
    _replace(pack / "course.toml", 'version = "1.0.0"\n', "")
    return "course.toml", 1, "missing required key 'version'"


def _title_missing_translation(pack):
    _replace(pack / "course.toml", 'en = "Test course"\n', "")
    return "course.toml", _line(pack / "course.toml", "[title]"), "missing translation: 'title' has no text for 'en'"


def _summary_missing(pack):
    toml = pack / "course.toml"
    _replace(toml, '[summary]\nes = "Un curso pequeño para las pruebas."\nen = "A small course for the tests."\n', "")
    return "course.toml", 1, "missing required table 'summary'"


def _hours_not_a_number(pack):
    _replace(pack / "course.toml", "estimated_hours = 2", 'estimated_hours = "two"')
    return "course.toml", _line(pack / "course.toml", "estimated_hours"), "'estimated_hours' must be a positive number"


def _lesson_file_missing(pack):
    (pack / "lessons" / "en" / "02-listening.md").unlink()
    return ("course.toml", _line(pack / "course.toml", '"02-listening"'),
            "missing translation: lesson '02-listening' has no file lessons/en/02-listening.md")


def _no_title_heading(pack):
    _replace(pack / "lessons" / "es" / "03-practice.md", "# Práctica", "Práctica")
    return "lessons/es/03-practice.md", 1, "a lesson must start with a '# Title' heading"


def _duplicate_lesson_slug(pack):
    _replace(pack / "course.toml", 'slug = "03-practice"', 'slug = "01-welcome"')
    lines = [n for n, line in enumerate((pack / "course.toml").read_text().splitlines(), 1) if '"01-welcome"' in line]
    return "course.toml", lines[1], "duplicate lesson slug '01-welcome'"


def _duplicate_module_slug(pack):
    _replace(pack / "course.toml", 'slug = "practice"', 'slug = "basics"')
    lines = [n for n, line in enumerate((pack / "course.toml").read_text().splitlines(), 1) if '"basics"' in line]
    return "course.toml", lines[1], "duplicate module slug 'basics'"


def _broken_lesson_link(pack):
    path = pack / "lessons" / "es" / "02-listening.md"
    _replace(path, "(03-practice.md#inicio)", "(09-missing.md)")
    return ("lessons/es/02-listening.md", _line(path, "09-missing"),
            "broken link: no lesson '09-missing.md' in this course")


def _broken_image(pack):
    path = pack / "lessons" / "en" / "01-welcome.md"
    _replace(path, "diagram.png", "missing.png")
    return "lessons/en/01-welcome.md", _line(path, "missing.png"), "broken image: no file 'missing.png' in assets/"


def _external_image(pack):
    path = pack / "lessons" / "en" / "01-welcome.md"
    _replace(path, "../../assets/diagram.png", "https://example.org/x.png")
    return ("lessons/en/01-welcome.md", _line(path, "example.org"),
            "image 'https://example.org/x.png' must be a file in the pack's assets/ (no external requests)")


def _raw_html_block(pack):
    path = pack / "lessons" / "es" / "03-practice.md"
    path.write_text(path.read_text() + "\n<script>alert(1)</script>\n")
    return "lessons/es/03-practice.md", _line(path, "<script>"), "raw HTML is not allowed in lessons"


def _raw_html_inline(pack):
    path = pack / "lessons" / "en" / "03-practice.md"
    _replace(path, "Practise with", 'Practise <img src=x onerror="alert(1)"> with')
    return "lessons/en/03-practice.md", _line(path, "onerror"), "raw HTML is not allowed in lessons"


def _javascript_link(pack):
    path = pack / "lessons" / "en" / "02-listening.md"
    _replace(path, "(https://www.who.int/)", "(javascript:alert(1))")
    return ("lessons/en/02-listening.md", _line(path, "javascript:"),
            "link 'javascript:alert(1)' uses a scheme that is not allowed")


def _invalid_toml(pack):
    _replace(pack / "course.toml", 'licence = "CC BY-SA 4.0"', "licence = CC BY-SA")
    return "course.toml", _line(pack / "course.toml", "licence = CC"), "invalid TOML"


def _slug_not_folder(pack):
    _replace(pack / "course.toml", 'slug = "demo-course"', 'slug = "other-course"')
    return "course.toml", 2, "slug 'other-course' does not match the folder name 'demo-course'"


BROKEN = [_missing_version, _title_missing_translation, _summary_missing, _hours_not_a_number, _lesson_file_missing,
          _no_title_heading, _duplicate_lesson_slug, _duplicate_module_slug, _broken_lesson_link, _broken_image,
          _external_image, _raw_html_block, _raw_html_inline, _javascript_link, _invalid_toml, _slug_not_folder]


@pytest.mark.parametrize("breaks", BROKEN, ids=[f.__name__.strip("_") for f in BROKEN])
def test_broken_pack_is_reported_with_file_and_line(app, pack_copy, breaks):  # noqa: F811
    filename, line, message = breaks(pack_copy)
    result = _validate(app, pack_copy)
    assert result.exit_code == 1, result.output
    assert f"{pack_copy / filename}:{line}: {message}" in result.output, result.output


def test_sync_refuses_a_broken_pack(app, pack_copy):  # noqa: F811
    _no_title_heading(pack_copy)
    result = app.test_cli_runner().invoke(args=["content", "sync", str(pack_copy)])
    assert result.exit_code == 1
    from app.courses.models import Course
    from app.extensions import db

    assert db.session.scalar(db.select(Course).where(Course.slug == "demo-course")) is None


def test_a_folder_without_course_toml_is_an_error(app, tmp_path):
    (tmp_path / "half-written" / "lessons").mkdir(parents=True)
    result = _validate(app, tmp_path)
    assert result.exit_code == 1
    assert f"{tmp_path / 'half-written' / 'course.toml'}:1: missing course.toml" in result.output


def test_the_real_packs_validate(app):
    """modules/pm-plus and modules/pfa, as CI checks them."""
    result = app.test_cli_runner().invoke(args=["content", "validate", str(ROOT / "modules")])
    assert result.exit_code == 0, result.output
    assert {"pm-plus", "pfa"} <= {p.name for p in (ROOT / "modules").iterdir() if (p / "course.toml").is_file()}
