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
_MD = MarkdownIt("commonmark", _OPTIONS).enable("table").enable("strikethrough")


def render_markdown(source: str) -> str:
    """Markdown to safe HTML. Links get rel="noopener noreferrer nofollow"; only http(s) and
    mailto URLs survive."""
    raw = _MD.render(source)
    return nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def highlight_css() -> str:
    """The Pygments stylesheet for the ``hl-`` classes (served as static/css/highlight.css)."""
    return str(_FORMATTER.get_style_defs(".md pre"))
