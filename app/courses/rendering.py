"""Lesson Markdown to safe HTML: markdown-it-py (no raw HTML), link rewriting, then an nh3 allowlist.

Run once per lesson at sync time; the stored HTML is served as is. Links between lessons
and to the pack's assets become URLs relative to the lesson page
(/courses/<slug>/lessons/<lesson>), so stored HTML does not depend on where the app is mounted.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import quote

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Bump when the output for the same Markdown changes, so the next sync re-renders every lesson.
RENDERER_VERSION = "1"

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def markdown_parser(*, allow_html: bool = False) -> MarkdownIt:
    """CommonMark plus tables. The validator parses with HTML on, only to find and report it."""
    return MarkdownIt("commonmark", {"html": allow_html}).enable("table")


@dataclass(frozen=True)
class RenderedLesson:
    title: str
    html: str


def has_scheme(url: str) -> bool:
    return bool(_SCHEME.match(url.strip()))


def split_fragment(url: str) -> tuple[str, str]:
    path, _, fragment = url.partition("#")
    return path, fragment


def asset_name(path: str) -> str | None:
    """The file inside assets/ that a relative path from a lesson names, or None if it names none."""
    normalized = posixpath.normpath(path.split("?", 1)[0])
    while normalized.startswith("../"):
        normalized = normalized[3:]
    if normalized.startswith("./"):
        normalized = normalized[2:]
    if not normalized.startswith("assets/"):
        return None
    name = normalized[len("assets/"):]
    if not name or name.startswith("/") or ".." in name.split("/"):
        return None
    return name


def lesson_target(path: str) -> str | None:
    """The lesson slug a relative link such as `02-helping-skills.md` names, or None."""
    if not path.endswith(".md") or "/" in path.removeprefix("./"):
        return None
    return path.removeprefix("./")[: -len(".md")]


def _rewrite_href(href: str, lesson_slugs: Collection[str], asset_versions: Mapping[str, str]) -> str | None:
    href = href.strip()
    if not href or href.startswith(("#", "//")) or has_scheme(href):
        return href  # external or in-page; nh3 decides which schemes survive
    path, fragment = split_fragment(href)
    suffix = f"#{fragment}" if fragment else ""
    slug = lesson_target(path)
    if slug is not None:
        return f"{quote(slug)}{suffix}" if slug in lesson_slugs else None
    name = asset_name(path)
    if name is not None and name in asset_versions:
        return _asset_url(name, asset_versions)
    return None


def _asset_url(name: str, asset_versions: Mapping[str, str]) -> str:
    return f"../assets/{quote(name)}?v={asset_versions[name]}"


def _text_of(inline: Token) -> str:
    return "".join(child.content for child in inline.children or [] if child.type in ("text", "code_inline")).strip()


def _rewrite_inline(inline: Token, lesson_slugs: Collection[str], asset_versions: Mapping[str, str]) -> None:
    children: list[Token] = []
    dropped_links: list[int] = []  # nesting of link_open tokens we removed, so we drop their close too
    for child in inline.children or []:
        if child.type == "link_open":
            href = _rewrite_href(str(child.attrGet("href") or ""), lesson_slugs, asset_versions)
            if href is None:
                dropped_links.append(child.level)
                continue
            child.attrSet("href", href)
        elif child.type == "link_close" and dropped_links and dropped_links[-1] == child.level:
            dropped_links.pop()
            continue
        elif child.type == "image":
            src = str(child.attrGet("src") or "")
            name = None if has_scheme(src) or src.startswith("//") else asset_name(split_fragment(src)[0])
            if name is None or name not in asset_versions:
                children.append(Token("text", "", 0, content=child.content))
                continue
            child.attrSet("src", _asset_url(name, asset_versions))
        children.append(child)
    inline.children = children


def render_lesson(markdown: str, *, lesson_slugs: Collection[str] = (),
                  asset_versions: Mapping[str, str] | None = None) -> RenderedLesson:
    """Title (the leading `# ` heading) and sanitized body HTML of one lesson."""
    md = markdown_parser()
    tokens = md.parse(markdown)
    title = ""
    if len(tokens) >= 3 and tokens[0].type == "heading_open" and tokens[0].tag == "h1":
        title = _text_of(tokens[1])
        tokens = tokens[3:]
    for token in tokens:
        if token.type in ("heading_open", "heading_close") and token.tag == "h1":
            token.tag = "h2"  # the page has one h1: the lesson title
        elif token.type == "inline":
            _rewrite_inline(token, lesson_slugs, asset_versions or {})
    html = md.renderer.render(tokens, md.options, {})
    return RenderedLesson(title=title, html=sanitize(html))


def sanitize(html: str) -> str:
    """The allowlist: no style, no event handlers, no scripts or frames, http/https/mailto links only."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
