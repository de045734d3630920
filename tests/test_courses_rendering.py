"""Stored XSS: a corpus of payloads goes through rendering and the served lesson page; none survives."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.courses.rendering import render_lesson
from tests.courses_support import content_path, pack_copy  # noqa: F401  (fixtures)
from tests.courses_support import sync_fixture_pack

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<a href="javascript:alert(1)">x</a>',
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    "<svg><script>alert(1)</script></svg>",
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<body onload="alert(1)">',
    '<div onmouseover="alert(1)">hover</div>',
    '<form action="https://evil.example"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](vbscript:msgbox(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pixel](data:image/png;base64,iVBORw0KGgo=)",
    "![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x](https://evil.example/track.png "tracker")',
    "![x](x.png)",
    "<javascript:alert(1)>",
    "<https://example.org/ok>",
    '[title](https://example.org "a\\" onmouseover=\\"alert(1)")',
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    '<a href="https://example.org" target="_blank" onclick="alert(1)">x</a>',
    "<!-- <script>alert(1)</script> -->",
]

FORBIDDEN_TAGS = {"script", "style", "svg", "iframe", "object", "embed", "form", "meta", "base", "link", "math",
                  "frame", "frameset", "body", "input", "button"}


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_safe(html: str, *, allowed_tags: set[str] = frozenset()) -> None:
    parser = _Collect()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag not in FORBIDDEN_TAGS - allowed_tags, (tag, attrs)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, value)
            assert name not in ("style", "http-equiv", "srcdoc"), (tag, name, value)
            if name in ("href", "src", "action", "formaction", "data"):
                url = (value or "").strip().lower()
                assert not url.startswith(("javascript:", "vbscript:", "data:", "//")), (tag, name, value)
                assert "evil.example" not in url, (tag, name, value)
    lowered = html.lower()
    # Raw HTML in Markdown is shown as inert text (&lt;script&gt;...), so live markup never starts with "<".
    for needle in ("<script", "<svg", "<style", "<iframe", "<object", "<embed", "<!--"):
        assert needle not in lowered, needle


@pytest.mark.parametrize("payload", PAYLOADS)
def test_rendering_removes_the_payload(payload):
    html = render_lesson(f"# Título\n\nAntes.\n\n{payload}\n\nDespués.\n").html
    assert_safe(html)
    assert "Antes." in html and "Después." in html


def test_autolinks_and_plain_links_keep_safe_schemes():
    html = render_lesson("# T\n\n<https://example.org/ok> [m](mailto:a@example.org) [h](http://example.org)\n").html
    assert '<a href="https://example.org/ok" rel="noopener noreferrer">' in html
    assert 'href="mailto:a@example.org"' in html and 'href="http://example.org"' in html


def test_the_served_lesson_page_carries_none_of_the_payloads(client, login, make_user, make_cohort,
                                                            pack_copy, monkeypatch, app):  # noqa: F811
    from app.courses.services import give_course

    monkeypatch.setitem(app.config, "CONTENT_PATH", str(pack_copy.parent))
    for language in ("es", "en"):
        lesson = pack_copy / "lessons" / language / "03-practice.md"
        lesson.write_text("# Práctica\n\n" + "\n\n".join(PAYLOADS) + "\n")
    course = sync_fixture_pack(pack_copy)  # the validator would refuse this pack; rendering must be safe anyway
    trainee = make_user("trainee")
    give_course(make_cohort(members={"trainee": [trainee]}), course, "es")
    login(trainee)
    page = client.get("/courses/demo-course/lessons/03-practice")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    body = html[html.index('<div class="lesson-body">'):html.index("</article>")]
    assert_safe(body)
    assert_safe(html, allowed_tags={"meta", "link", "body", "form", "button", "input"})  # the page's own
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
