"""Quizzes in course packs: [[quizzes]] checked by flask content validate and upserted by flask content sync."""
from __future__ import annotations

import sqlalchemy as sa

from app.config import ROOT
from app.courses.packs import load_pack
from app.courses.sync import sync_pack
from app.extensions import db
from app.quizzes.models import Quiz, QuizKind
from tests.courses_support import content_path, pack_copy  # noqa: F401  (fixtures)


def _errors(root):
    _, problems = load_pack(root)
    return [str(p) for p in problems if p.is_error]


def test_the_real_packs_have_a_pre_and_post_test_of_the_same_blueprint(app):
    for slug, bank, count in (("pm-plus", "pm-plus-knowledge", 24), ("pfa", "pfa-knowledge", 16)):
        pack, problems = load_pack(ROOT / "modules" / slug)
        assert [p for p in problems if p.is_error] == []
        pre, post = pack.quizzes
        assert (pre.kind, post.kind) == (QuizKind.PRE_TEST, QuizKind.POST_TEST)
        assert pre.bank == post.bank == bank
        assert [s.question_key for s in pre.slots] == [s.question_key for s in post.slots]
        assert len(pre.slots) == count


def test_unknown_bank_key_and_category_are_errors_naming_the_file(app, content_path, pack_copy):
    toml = pack_copy / "course.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('"DK-06"]', '"DK-99"]').replace('category = "demo/listening", count = 2',
                                                       'category = "demo/nothing", count = 2')
    text = text.replace('slug = "practice-check"\nkind = "module_check"\nbank = "demo-knowledge"',
                        'slug = "practice-check"\nkind = "module_check"\nbank = "no-such-bank"')
    toml.write_text(text, encoding="utf-8")
    errors = _errors(pack_copy)
    assert any("course.toml:" in e and "unknown question key 'DK-99' in quizzes/demo-knowledge.es.gift" in e
               for e in errors), errors
    assert any("unknown bank 'no-such-bank': no file quizzes/no-such-bank.es.gift" in e for e in errors), errors


def test_a_draw_needs_enough_questions_in_its_category(app, content_path, pack_copy):
    toml = pack_copy / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("count = 2", "count = 9"), encoding="utf-8")
    assert any("category 'demo/listening' of quizzes/demo-knowledge.es.gift has 4 question(s), 9 to draw" in e
               for e in _errors(pack_copy))


def test_bad_settings_are_errors(app, content_path, pack_copy):
    toml = pack_copy / "course.toml"
    text = toml.read_text(encoding="utf-8").replace("pass_mark = 70", "pass_mark = 170\ngrading_method = \"best\"")
    toml.write_text(text, encoding="utf-8")
    errors = _errors(pack_copy)
    assert any("'pass_mark' must be a percentage from 0 to 100" in e for e in errors)
    assert any("'grading_method' must be one of: highest, last, first, average" in e for e in errors)


def test_sync_upserts_quizzes_and_unpublishes_those_that_leave(app, content_path, pack_copy):
    pack, _ = load_pack(pack_copy)
    sync_pack(pack)
    quizzes = {q.slug: q for q in db.session.scalars(sa.select(Quiz))}
    assert set(quizzes) == {"pre-test", "practice-check"}
    check = quizzes["practice-check"]
    assert check.module.slug == "practice" and check.slots[0].category_path == "demo/listening"
    assert check.slots[0].draw_count == 2 and check.slots[1].mark == 2
    assert quizzes["pre-test"].pass_mark == 70 and quizzes["pre-test"].questions_per_page == 2
    toml = pack_copy / "course.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text[:text.index("[[quizzes]]\nslug = \"practice-check\"")], encoding="utf-8")
    pack, _ = load_pack(pack_copy)
    sync_pack(pack)
    db.session.expire_all()
    assert db.session.get(Quiz, check.id).is_published is False
    assert db.session.get(Quiz, quizzes["pre-test"].id).is_published is True
