"""An XSS corpus through ``render_markdown`` (the one renderer for chat, forum, messages and
problem statements), then arbitrary and HTML-ish text: nothing executable ever comes out and
rendering never raises."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peerlearn.common.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown

SAFE_SCHEMES = {"http", "https", "mailto"}
# Control characters and whitespace a browser strips or ignores inside a URL scheme.
URL_JUNK = re.compile(r"[\x00-\x20\x7f]+")
SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


class Tags(HTMLParser):
    """Every start tag and its attributes, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def tags_of(output: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = Tags()
    parser.feed(output)
    parser.close()
    return parser.tags


def url_scheme(url: str) -> str:
    """The scheme as a browser's URL parser finds it (after entity decoding and dropping the
    whitespace and control characters it ignores); "" for a relative URL. Like the WHATWG
    parser, a scheme is a letter then letters, digits, "+", "-" or "."; anything else before
    the colon (say "java%0ascript:") makes the URL relative, so harmless."""
    cleaned = URL_JUNK.sub("", html.unescape(url)).lower()
    match = SCHEME.match(cleaned)
    return match.group(1) if match else ""


def assert_safe(output: str) -> None:
    lowered = output.lower()
    assert "<script" not in lowered
    for needle in ("<iframe", "<object", "<embed", "<svg", "<style", "<form", "<meta", "<img"):
        assert needle not in lowered, needle
    for tag, attrs in tags_of(output):
        assert tag in ALLOWED_TAGS, tag
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name in allowed, (tag, name)
            if name in {"href", "src", "action", "formaction", "xlink:href"}:
                scheme = url_scheme(value or "")
                assert scheme in SAFE_SCHEMES | {""}, (tag, value)
                assert "javascript" not in URL_JUNK.sub("", html.unescape(value or "")).lower()
    # Nothing in a tag that a browser would read as an event handler.
    for raw_tag in re.findall(r"<[a-zA-Z][^>]*>", output):
        unquoted = re.sub(r'"[^"]*"|\'[^\']*\'', '""', raw_tag)
        assert not re.search(r"\son\w+\s*=", unquoted, re.IGNORECASE), raw_tag


CORPUS = [
    # script tags
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "text <script>alert(1)",
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    # event handlers
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x OnErRoR=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<body onload=alert(1)>",
    "<div onmouseover='alert(1)'>hover</div>",
    '<input autofocus onfocus="alert(1)">',
    "<details open ontoggle=alert(1)>",
    '<a href="#" title="x" onmouseover=alert(1)>t</a>',
    # javascript:/data:/vbscript: links, markdown and HTML
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](<javascript:alert(1)>)",
    "[x](javascript&#58;alert(1))",
    "[x](jav&#x61;script:alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](java%0ascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    '[x](https://ok.example "title" onclick=alert(1))',
    "![img](javascript:alert(1))",
    "![img](x onerror=alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x61;script:alert(1)">x</a>',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    # reference links and autolinks
    "[x][evil]\n\n[evil]: javascript:alert(1)",
    "[x][evil]\n\n[evil]: jav&#x61;script:alert(1)",
    '[x][evil]\n\n[evil]: <javascript:alert(1)> "t"',
    "[evil]\n\n[evil]: data:text/html,<script>alert(1)</script>",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,alert(1)>",
    '<https://ok.example/"onmouseover="alert(1)>',
    "https://ok.example/<script>alert(1)</script>",
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # style, iframe, object, embed, form, meta, base, link
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<iframe src="javascript:alert(1)"></iframe>',
    "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">x</button>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    # malformed and unclosed HTML
    "<img src=x onerror=alert(1)//",
    "<<script>script>alert(1)<</script>/script>",
    '<a href="javascript:alert(1)"',
    "<img/src=x/onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"',
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "</textarea><script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "<a\nhref=javascript:alert(1)>x</a>",
    # markdown structures wrapping HTML
    "> <script>alert(1)</script>",
    "- <img src=x onerror=alert(1)>",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "# <svg onload=alert(1)>",
    "**[x](javascript:alert(1))**",
    "```js onload=alert(1)\nx\n```",
    '```"><script>alert(1)</script>\ncode\n```',
]


@pytest.mark.parametrize("source", CORPUS)
def test_nothing_executable_survives(source: str):
    assert_safe(render_markdown(source))


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](jav&#x61;script:alert(1))",
        "[x][evil]\n\n[evil]: javascript:alert(1)",
        '<a href="javascript:alert(1)">x</a>',
    ],
)
def test_dangerous_links_lose_their_href(source: str):
    for _tag, attrs in tags_of(render_markdown(source)):
        assert "href" not in dict(attrs)


def test_safe_markdown_still_works():
    output = render_markdown(
        "# Title\n\n**bold** [site](https://ok.example/) <https://auto.example/> "
        "[mail](mailto:a@example.org)\n\n```python\nprint(1)\n```"
    )
    assert_safe(output)
    assert "<h1>Title</h1>" in output and "<strong>bold</strong>" in output
    assert 'href="https://ok.example/"' in output and 'href="https://auto.example/"' in output
    assert 'href="mailto:a@example.org"' in output
    assert 'rel="noopener noreferrer nofollow"' in output
    assert "<pre>" in output or "<pre " in output


def test_raw_html_is_shown_as_text():
    output = render_markdown("<b>hi</b> <img src=x onerror=alert(1)>")
    assert "&lt;b&gt;hi&lt;/b&gt;" in output and "&lt;img" in output


FRAGMENTS = st.sampled_from(
    [
        "<",
        ">",
        "</",
        "/>",
        '"',
        "'",
        "`",
        "```",
        "\n",
        " ",
        "&",
        "&#x61;",
        "&#58;",
        "&colon;",
        "<script>",
        "</script>",
        "<img",
        "<svg",
        " src=x",
        " onerror=alert(1)",
        " onload=",
        "javascript:",
        "jav&#x61;script:",
        "data:text/html,",
        "vbscript:",
        "[x](",
        "](",
        ")",
        "[",
        "]",
        "[ref]: ",
        "<http",
        "https://ok.example/",
        "alert(1)",
        "<a href=",
        "<iframe",
        "<style>",
        "<!--",
        "-->",
        "**",
        "> ",
        "- ",
        "| a |",
        "\t",
        "\x00",
    ]
)
HTMLISH = st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_arbitrary_text_renders_safely(source: str):
    assert_safe(render_markdown(source))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(HTMLISH)
def test_html_ish_fragments_render_safely(source: str):
    assert_safe(render_markdown(source))
