"""The one markdown renderer for user content (chat, forum, messages, problem statements).

CommonMark (markdown-it-py, raw HTML disabled) → code blocks highlighted by Pygments →
sanitized by nh3 (an allow-list: no scripts, no event handlers, no javascript: URLs, no SVG).
"""

from __future__ import annotations

import html

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True, classprefix="hl-")

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "span",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang.strip().split()[0]) if lang.strip() else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return html.escape(code)
    return highlight(code, lexer, _FORMATTER)


_OPTIONS = {"html": False, "linkify": False, "highlight": _highlight}


def render_markdown(source: str) -> str:
    """Markdown to safe HTML. Links get rel="noopener noreferrer nofollow"; only http(s) and
    mailto URLs survive."""
    return sanitize(_MD.render(source))


def markdown_parser() -> MarkdownIt:
    """A parser configured like the one for user content (for trusted documents that add their
    own render rules, such as the guides); its output must still go through ``sanitize``."""
    return MarkdownIt("commonmark", _OPTIONS).enable("table").enable("strikethrough")


def sanitize(
    raw: str,
    *,
    extra_tags: frozenset[str] = frozenset(),
    extra_attributes: dict[str, set[str]] | None = None,
) -> str:
    """The allow-list every rendered document passes; documents we write ourselves may allow a
    few more tags (the guides' pictures), never scripts or event handlers."""
    attributes = {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}
    for tag, names in (extra_attributes or {}).items():
        attributes[tag] = attributes.get(tag, set()) | names
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS | extra_tags,
        attributes=attributes,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_MD = markdown_parser()
