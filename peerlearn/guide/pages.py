"""The guides: markdown files in ``content/``, read once per process, rendered with the site's
markdown pipeline and sanitized like every other document.

A guide starts with a small header between ``---`` lines (``title``, ``summary``, ``section``,
``order``) and may use two kinds of link beyond ordinary markdown:

- ``[Send request](ui:booking-form)`` names a button, field or heading on a page. It renders as
  the name in bold; ``ui:`` names a *scene* (a page as a given person sees it, defined in
  ``guide/tests/scenes.py``), and a test fails when the name is no longer on that page.
- ``![The search page](shot:tutor-search)`` is a picture of a scene. The end-to-end suite takes
  it from the real page, light and dark, into ``static/guide/shots/<scene>-<theme>.png``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.templatetags.static import static
from django.utils.html import escape, strip_tags
from django.utils.text import slugify
from markdown_it import MarkdownIt

from peerlearn.common.markdown import markdown_parser, sanitize

CONTENT_DIR = Path(__file__).resolve().parent / "content"
SHOTS_STATIC_DIR = "guide/shots"
THEMES = ("light", "dark")
SECTIONS = {
    "start": "Getting started",
    "use": "Using PeerLearn",
    "account": "Your account and your data",
    "staff": "For moderators and administrators",
    "policy": "Policies",
}
_HEADER = re.compile(r"\A---\n(?P<header>.*?)\n---\n", re.S)
_UI_LINK = re.compile(r"\[(?P<label>[^\]]+)\]\(ui:(?P<scene>[a-z0-9-]+)\)")
_SHOT = re.compile(r"!\[(?P<alt>[^\]]*)\]\(shot:(?P<scene>[a-z0-9-]+)\)")
_PAGE_LINK = re.compile(r"(?<!!)\[[^\]]+\]\((?P<href>/[^)\s]*)\)")


@dataclass(frozen=True)
class UiName:
    label: str
    scene: str


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str
    summary: str
    section: str
    order: int
    source: str
    html: str
    text: str  # the words, for search
    headings: tuple[tuple[str, str], ...]  # (anchor, title) of each ## heading
    ui_names: tuple[UiName, ...] = field(default=())
    shots: tuple[str, ...] = field(default=())
    page_links: tuple[str, ...] = field(default=())

    @property
    def section_title(self) -> str:
        return SECTIONS[self.section]


def shot_path(scene: str, theme: str) -> str:
    """The static path of a scene's picture (what the e2e suite writes and the guide shows)."""
    return f"{SHOTS_STATIC_DIR}/{scene}-{theme}.png"


def _link_open(renderer: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    href = tokens[idx].attrGet("href") or ""
    is_ui_name = href.startswith("ui:")
    env.setdefault("ui_stack", []).append(is_ui_name)
    if is_ui_name:
        return '<strong class="ui-name">'
    return str(renderer.renderToken(tokens, idx, options, env))


def _link_close(renderer: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    if env.get("ui_stack") and env["ui_stack"].pop():
        return "</strong>"
    return str(renderer.renderToken(tokens, idx, options, env))


def _image(renderer: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    src = token.attrGet("src") or ""
    if not src.startswith("shot:"):
        return ""  # guides show only pictures of the product itself
    scene, alt = src.removeprefix("shot:"), escape(token.content)
    images = "".join(
        f'<img class="shot-{theme}" src="{static(shot_path(scene, theme))}" alt="{alt}" '
        f'loading="lazy" width="1280" height="800">'
        for theme in THEMES
    )
    return f'<span class="guide-shot">{images}</span>'


def _heading_open(renderer: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    if tokens[idx].tag != "h2":
        return str(renderer.renderToken(tokens, idx, options, env))
    title = tokens[idx + 1].content
    anchor = slugify(title)
    env.setdefault("headings", []).append((anchor, title))
    return f'<h2 id="{anchor}">'


def _renderer() -> MarkdownIt:
    md = markdown_parser()
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    md.add_render_rule("image", _image)
    md.add_render_rule("heading_open", _heading_open)
    return md


def _parse_header(text: str, slug: str) -> tuple[dict[str, str], str]:
    match = _HEADER.match(text)
    if not match:
        raise ValueError(f"{slug}: a guide starts with a --- header")
    header = {}
    for line in match["header"].splitlines():
        key, _, value = line.partition(":")
        header[key.strip()] = value.strip()
    return header, text[match.end() :]


def load_text(text: str, slug: str) -> Guide:
    header, body = _parse_header(text, slug)
    env: dict[str, Any] = {}
    raw = _renderer().render(body, env)
    html = sanitize(
        raw,
        extra_tags=frozenset({"img"}),
        extra_attributes={
            "img": {"src", "alt", "class", "loading", "width", "height"},
            "strong": {"class"},
            "h2": {"id"},
        },
    )
    return Guide(
        slug=slug,
        title=header["title"],
        summary=header.get("summary", ""),
        section=header.get("section", "use"),
        order=int(header.get("order", "50")),
        source=body,
        html=html,
        text=" ".join(strip_tags(raw).split()),
        headings=tuple(env.get("headings", [])),
        ui_names=tuple(UiName(m["label"], m["scene"]) for m in _UI_LINK.finditer(body)),
        shots=tuple(m["scene"] for m in _SHOT.finditer(body)),
        page_links=tuple(m["href"] for m in _PAGE_LINK.finditer(body)),
    )


@cache
def all_guides() -> tuple[Guide, ...]:
    """Every guide, in reading order (section, then ``order``)."""
    guides = [
        load_text(path.read_text(encoding="utf-8"), path.stem)
        for path in sorted(CONTENT_DIR.glob("*.md"))
    ]
    section_rank = {key: rank for rank, key in enumerate(SECTIONS)}
    return tuple(sorted(guides, key=lambda g: (section_rank[g.section], g.order, g.title)))


def guide(slug: str) -> Guide | None:
    return next((g for g in all_guides() if g.slug == slug), None)


@dataclass(frozen=True)
class Hit:
    guide: Guide
    score: int
    snippet: str


def _snippet(text: str, terms: Sequence[str], width: int = 160) -> str:
    lower = text.lower()
    positions = [lower.find(term) for term in terms if term in lower]
    start = max(0, min(positions) - width // 3) if positions else 0
    piece = text[start : start + width]
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def search(query: str) -> list[Hit]:
    """Guides containing every word of ``query``, best first: a word in the title counts most,
    then the summary, then each time it appears in the text."""
    terms = [term for term in re.findall(r"\w+", query.lower()) if len(term) > 1][:8]
    if not terms:
        return []
    hits = []
    for item in all_guides():
        title, summary, text = item.title.lower(), item.summary.lower(), item.text.lower()
        if not all(term in title or term in summary or term in text for term in terms):
            continue
        score = sum(
            10 * title.count(term) + 4 * summary.count(term) + text.count(term) for term in terms
        )
        hits.append(Hit(item, score, _snippet(item.text, terms)))
    return sorted(hits, key=lambda hit: (-hit.score, hit.guide.title))
