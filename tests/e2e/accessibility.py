"""axe-core (from node_modules, never a CDN) in the browser tests: run it on a page, and crawl
the pages a signed-in person can reach from the home page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag, urlsplit

from playwright.sync_api import Error as PlaywrightError

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, plus axe's best practices (landmarks, heading order, ...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"critical", "serious"}

# Not pages: files, feeds, the API, sign-out and one-time links; Django's admin is its own
# application (its pages are Django's templates).
SKIPPED = re.compile(
    r"^/(static|media|api|admin|_allauth|ws)/|logout|/calendar/|\.ics$|/download|/files/"
    r"|/evidence|/document/|/attachments/|/export|confirm-email|/3rdparty|/dev/mail/\w"
)


PEOPLE = {
    "learner": "learner@peerlearn.test",
    "tutor": "tutor@peerlearn.test",
    "moderator": "moderator@peerlearn.test",
    "admin": "admin@peerlearn.test",
}


def demo_world() -> None:
    """The demo people (seed_demo), the problem bank, the forum's demo threads, and a booking
    between the demo learner and tutor: every kind of page has something on it."""
    from django.core.management import call_command

    from peerlearn.accounts.models import User
    from peerlearn.common.testing import make_booking

    call_command("seed_demo", quiet=True)
    call_command("import_problems", verbosity=0)
    call_command("seed_forum", "--demo", verbosity=0)
    learner = User.objects.get(email=PEOPLE["learner"])
    tutor = User.objects.get(email=PEOPLE["tutor"])
    subject = tutor.teaching_subjects.first()
    assert subject is not None
    make_booking(tutor, [learner], subject=subject.subject)


@dataclass(frozen=True)
class Violation:
    page: str
    theme: str
    rule: str
    impact: str
    nodes: int
    example: str

    def __str__(self) -> str:
        return (
            f"{self.impact:<8} {self.rule} ×{self.nodes} on {self.page} ({self.theme}): "
            f"{self.example}"
        )


def axe(page: Page, *, only: list[str] | None = None) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (``only``: just these rules)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text())
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    options["runOnly"] = (
        {"type": "rule", "values": only} if only else {"type": "tag", "values": AXE_TAGS}
    )
    result = page.evaluate("options => axe.run(document, options)", options)
    return list(result["violations"])


def violations_of(page: Page, where: str, theme: str, **kwargs: Any) -> list[Violation]:
    return [
        Violation(
            page=where,
            theme=theme,
            rule=v["id"],
            impact=v.get("impact") or "minor",
            nodes=len(v["nodes"]),
            example=v["nodes"][0]["html"][:160] if v["nodes"] else "",
        )
        for v in axe(page, **kwargs)
    ]


def page_pattern(path: str) -> str:
    """One representative per kind of page: ids, uuids and hyphenated slugs become ``#``."""
    return re.sub(r"/[^/]*[\d-][^/]*(?=/|$)", "/#", path)


def crawl(
    page: Page,
    base: str,
    *,
    start: list[str],
    limit: int,
    skip: re.Pattern[str] = SKIPPED,
    within: str = "/",
) -> Iterator[str]:
    """Visit pages breadth-first from ``start`` over same-site links under ``within``, one per
    pattern, leaving the page loaded when yielding its path."""
    queue = list(start)
    seen: set[str] = set()
    visited = 0
    while queue and visited < limit:
        path = queue.pop(0)
        pattern = page_pattern(path)
        if pattern in seen or skip.search(path) or not path.startswith(within):
            continue
        seen.add(pattern)
        try:
            response = page.goto(f"{base}{path}")
        except PlaywrightError:  # a download ("Download is starting"), not a page
            continue
        if response is None or response.status >= 400 or not page.url.startswith(base):
            continue
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/html"):
            continue
        visited += 1
        yield path
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            url, _ = urldefrag(href)
            parts = urlsplit(url)
            if url.startswith(base) and parts.path not in seen:
                queue.append(parts.path)
