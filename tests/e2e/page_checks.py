"""What every page a journey visits must pass: axe-core (WCAG 2.2 AA), no outside hosts, no console
errors or CSP violations, no server errors, and no sideways scrolling on a 360 px phone."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, Response

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@lru_cache(maxsize=1)
def axe_source() -> str:
    """The axe-core bundle shipped inside axe-playwright-python (no network needed)."""
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} [{v.get('impact') or 'n/a'}]: {v['help']} ({v.get('helpUrl', '')})")
        for node in v["nodes"][:8]:
            target = " > ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}  {summary[:200]}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


class PageWatch:
    """Listens to one page from its creation and checks each page the journey lands on."""

    def __init__(self, page: Page, base_url: str, phone: bool):
        self.page = page
        self.host = urlsplit(base_url).netloc
        self.phone = phone
        self.problems: list[str] = []
        self.allowed_statuses: set[int] = set()
        self.navigations: list[str] = []
        self.checked = 0
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        page.on("framenavigated", lambda frame: frame == page.main_frame and self.navigations.append(frame.url))

    def _on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.host:
            self.problems.append(f"request to another host: {request.method} {request.url}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 500 or (response.status >= 400 and response.status not in self.allowed_statuses):
            self.problems.append(f"HTTP {response.status} for {response.request.method} {response.url}")

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            text = message.text
            if any(f"status of {code}" in text for code in self.allowed_statuses):
                return  # the HTTP status was expected by the journey (e.g. 401 for a wrong password)
            self.problems.append(f"console error: {text}")

    def expect_status(self, *codes: int) -> None:
        """Declare an error status the journey expects, so it is not reported as a problem."""
        self.allowed_statuses.update(codes)

    def check(self) -> None:
        """Check the page now showing; every page a journey lands on must pass through here."""
        page = self.page
        page.wait_for_load_state("load")
        where = page.url
        self.assert_clean()
        if self.phone:
            self._assert_no_sideways_scroll(where)
        self._assert_axe(where)
        self.assert_clean()
        self.checked = len(self.navigations)

    def assert_clean(self) -> None:
        if self.problems:
            problems, self.problems = self.problems, []
            raise AssertionError("The page misbehaved:\n" + "\n".join(f"- {p}" for p in problems))

    def assert_all_pages_checked(self) -> None:
        unchecked = self.navigations[self.checked:]
        assert not unchecked, f"pages visited without the page checks: {unchecked}"

    def _assert_no_sideways_scroll(self, where: str) -> None:
        result = self.page.evaluate(
            """() => {
                const width = window.innerWidth;
                const scroll = document.documentElement.scrollWidth;
                const wide = [];
                if (scroll > width + 1) {
                    for (const el of document.body.querySelectorAll('*')) {
                        const box = el.getBoundingClientRect();
                        if (box.right > width + 1 && wide.length < 8) {
                            wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                                      (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\\s+/g, '.') : '') +
                                      ` (right edge ${Math.round(box.right)} px)`);
                        }
                    }
                }
                return {width, scroll, wide};
            }"""
        )
        assert result["scroll"] <= result["width"] + 1, (
            f"{where} scrolls sideways at {result['width']} px: content is {result['scroll']} px wide; "
            f"too wide: {result['wide']}"
        )

    def _assert_axe(self, where: str) -> None:
        page = self.page
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(axe_source())
        results = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            AXE_TAGS,
        )
        violations = results["violations"]
        assert not violations, f"axe-core found accessibility violations on {where}:\n{format_violations(violations)}"
