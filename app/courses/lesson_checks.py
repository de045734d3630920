"""Checks on one lesson's Markdown: a title heading, no raw HTML, links and images that resolve.

Pure functions over the text: they return (line, message) pairs for packs.py to report.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from pathlib import PurePosixPath

from app.courses.rendering import (
    IMAGE_EXTENSIONS,
    asset_name,
    has_scheme,
    lesson_target,
    markdown_parser,
    split_fragment,
)

LINK_SCHEMES = ("http:", "https:", "mailto:")
# Links markdown-it refuses to make (javascript:, data:...) stay literal text; tell the author.
_REFUSED_LINK = re.compile(r"(?:\]\(\s*<?|<)((?:javascript|vbscript|file|data):[^)>\s]*\)?)", re.IGNORECASE)


def check_lesson_markdown(text: str, *, assets: Mapping[str, str],
                          lesson_slugs: Collection[str]) -> list[tuple[int, str]]:
    """Every problem in one lesson file, as (1-based line, message)."""
    lines = text.splitlines()
    found: list[tuple[int, str]] = []
    first = next((n for n, line in enumerate(lines) if line.strip()), None)
    if first is None or not lines[first].startswith("# ") or not lines[first][2:].strip():
        found.append(((first or 0) + 1, "a lesson must start with a '# Title' heading"))
    for token in markdown_parser(allow_html=True).parse(text):
        if token.type == "html_block":
            found.append((token.map[0] + 1 if token.map else 1, "raw HTML is not allowed in lessons"))
        if token.type != "inline":
            continue
        start, stop = token.map if token.map else (0, len(lines))
        for child in token.children or []:
            if child.type == "html_inline":
                found.append((_line_of(lines, child.content, start, stop), "raw HTML is not allowed in lessons"))
            elif child.type == "link_open":
                href = str(child.attrGet("href") or "")
                problem = _link_problem(href, assets, lesson_slugs)
                if problem:
                    found.append((_line_of(lines, href, start, stop), problem))
            elif child.type == "image":
                src = str(child.attrGet("src") or "")
                problem = _image_problem(src, assets)
                if problem:
                    found.append((_line_of(lines, src, start, stop), problem))
    reported = {line for line, _ in found}
    for number, line in enumerate(lines, 1):
        match = _REFUSED_LINK.search(line)
        if match and number not in reported:
            found.append((number, f"link '{match.group(1)}' uses a scheme that is not allowed"))
    return sorted(found)


def _line_of(lines: list[str], needle: str, start: int, stop: int) -> int:
    for index in range(start, min(stop, len(lines))):
        if needle and needle in lines[index]:
            return index + 1
    return start + 1


def _link_problem(href: str, assets: Mapping[str, str], lesson_slugs: Collection[str]) -> str | None:
    if not href or href.startswith("#"):
        return None
    if has_scheme(href):
        return None if href.lower().startswith(LINK_SCHEMES) else f"link '{href}' uses a scheme that is not allowed"
    if href.startswith("//"):
        return f"link '{href}' must start with https://"
    path, _ = split_fragment(href)
    slug = lesson_target(path)
    if slug is not None:
        return None if slug in lesson_slugs else f"broken link: no lesson '{path}' in this course"
    name = asset_name(path)
    if name is not None:
        return None if name in assets else f"broken link: no file '{name}' in assets/"
    return f"broken link '{href}': link to a lesson (02-name.md), an asset (../../assets/file) or a web address"


def _image_problem(src: str, assets: Mapping[str, str]) -> str | None:
    if has_scheme(src) or src.startswith("//"):
        return f"image '{src}' must be a file in the pack's assets/ (no external requests)"
    name = asset_name(split_fragment(src)[0])
    if name is None:
        return f"image '{src}' must be a file in the pack's assets/"
    if name not in assets:
        return f"broken image: no file '{name}' in assets/"
    if PurePosixPath(name).suffix.lower() not in IMAGE_EXTENSIONS:
        return f"image '{name}' must be one of {', '.join(sorted(IMAGE_EXTENSIONS))}"
    return None
