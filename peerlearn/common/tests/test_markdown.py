"""The one renderer for user content: CommonMark → Pygments → nh3. Nothing executable may come
out, whatever goes in: an XSS corpus, then arbitrary text mixed with the corpus's pieces."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peerlearn.common.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown

SAFE_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow"
# An event handler in a tag, once quoted attribute values are blanked out (text inside a quoted
# value, like a title saying 'onmouseover=', is inert).
EVENT_HANDLER = re.compile(r"<[^>]*\son\w+\s*=", re.IGNORECASE)
QUOTED = re.compile(r'"[^"]*"|\'[^\']*\'')


def has_event_handler(output: str) -> bool:
    return bool(EVENT_HANDLER.search(QUOTED.sub('""', output)))


class Element(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def scheme_of(url: str) -> str | None:
    """The scheme a browser would use: entities decoded, control characters and whitespace
    removed (browsers drop tab and newline inside URLs), lower-cased."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", html.unescape(url))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", cleaned)
    return match.group(1).lower() if match else None


def problems(output: str) -> list[str]:
    """What would make ``output`` executable or let it load something."""
    found = []
    if "<script" in output.lower():
        found.append("a script tag")
    if has_event_handler(output):
        found.append("an event handler attribute")
    parser = Element()
    parser.feed(output)
    parser.close()
    for tag, attrs in parser.tags:
        if tag not in ALLOWED_TAGS:
            found.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"handler {name} on <{tag}>")
            elif tag == "a" and name == "rel":
                if value != LINK_REL:
                    found.append(f"rel={value!r}")
            elif name not in ALLOWED_ATTRIBUTES.get(tag, set()):
                found.append(f"attribute {name} on <{tag}>")
            if name == "href" and value is not None:
                scheme = scheme_of(value)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    found.append(f"a {scheme}: link")
    return found


CORPUS = [
    # script tags in every spelling
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<script\x20type='text/javascript'>alert(1);</script>",
    "<script/src=data:,alert(1)>",
    "text\n\n<script>alert(1)</script>\n\nmore",
    # event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"',
    "<img src=x onerror=alert(1)//",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    "<input autofocus onfocus=alert(1)>",
    "<p/onclick=alert(1)>x</p>",
    # javascript: and data: links in raw HTML
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="jav&#x0A;ascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105'
    '&#0000112&#0000116&#0000058alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2Zz4=">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:/">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>@import 'https://evil.example/x.css';</style>",
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>x</maction></math>",
    # malformed HTML and comments
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    "<!--<script>alert(1)</script>-->",
    "<!--><img src=x onerror=alert(1)>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<a href='x'<script>alert(1)</script>",
    "</p><script>alert(1)</script><p>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<textarea><script>alert(1)</script></textarea>",
    # markdown links, references and autolinks
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]( javascript:alert(1) )",
    "[x](java\tscript:alert(1))",
    "[x](data:text/html,<script>alert(1)</script>)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    '[x](https://ok.example" onmouseover="alert(1))',
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x][ref]\n\n[ref]: <javascript:alert(1)> 'title'",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "<vbscript:msgbox(1)>",
    "[<img src=x onerror=alert(1)>](https://ok.example)",
    "[![x](javascript:alert(1))](javascript:alert(1))",
    # images: dropped, whatever their URL
    "![x](javascript:alert(1))",
    "![x](https://ok.example/x.png)",
    '![x](https://ok.example/x.png" onerror="alert(1))',
    '![x" onerror="alert(1)](https://ok.example/x.png)',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    # code spans, blocks and their language names
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n```",
    '```x"><script>alert(1)</script>\nhi\n```',
    "```javascript:alert(1)\nhi\n```",
    "```js onmouseover=alert(1)\nalert(1)\n```",
    "    <script>alert(1)</script>",
    # tables and emphasis around HTML
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
    "**<img src=x onerror=alert(1)>**",
    "> <iframe src=javascript:alert(1)>",
    "- <svg/onload=alert(1)>",
]


@pytest.mark.parametrize("source", CORPUS)
def test_nothing_executable_survives(source: str) -> None:
    assert problems(render_markdown(source)) == []


def test_the_checker_would_notice() -> None:
    """The assertions above are only worth something if ``problems`` sees real attacks."""
    assert problems("<script>alert(1)</script>")
    assert problems('<img src="x" onerror="alert(1)">')
    assert problems('<a href="jav&#x09;ascript:alert(1)">x</a>')
    assert problems('<a href="data:text/html,x">x</a>')
    assert problems("<svg></svg>")
    assert problems("<p/onclick=alert(1)>")
    assert problems('<a href="https://ok.example" title="x onclick=y">x</a>') == []  # inert text
    assert problems('<a href="https://ok.example" rel="opener">x</a>') == ["rel='opener'"]


class TestWhatIsKept:
    def test_safe_links_keep_their_target_and_get_rel(self) -> None:
        out = render_markdown("[docs](https://ok.example/a?b=1&c=2) and <mailto:me@ok.example>")
        assert (
            '<a href="https://ok.example/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">docs</a>'
            in out
        )
        assert 'href="mailto:me@ok.example"' in out

    def test_autolinks_of_http_are_links(self) -> None:
        out = render_markdown("<https://ok.example/x>")
        assert '<a href="https://ok.example/x" rel="noopener noreferrer nofollow">' in out

    def test_unsafe_links_are_not_links_but_their_text_stays(self) -> None:
        out = render_markdown('<a href="javascript:alert(1)">click</a> [me](javascript:alert(1))')
        assert "click" in out and "[me]" in out
        assert "<a" not in out

    def test_html_is_shown_as_text(self) -> None:
        out = render_markdown("<b>bold?</b> <script>alert(1)</script>")
        assert "&lt;b&gt;bold?&lt;/b&gt;" in out and "&lt;script&gt;" in out

    def test_code_is_highlighted_with_prefixed_classes(self) -> None:
        out = render_markdown("```python\ndef f(x):\n    return x\n```")
        assert '<pre><code class="language-python">' in out
        assert '<span class="hl-k">def</span>' in out

    def test_an_unknown_language_is_escaped_plain_text(self) -> None:
        out = render_markdown("```nosuchlang\n<b>x</b>\n```")
        assert "&lt;b&gt;x&lt;/b&gt;" in out

    def test_images_are_dropped(self) -> None:
        assert "<img" not in render_markdown("![cat](https://ok.example/cat.png)")

    def test_tables(self) -> None:
        out = render_markdown("| a | b |\n|---|--:|\n| 1 | 2 |")
        assert "<table>" in out and "<th>b</th>" in out and "<td>2</td>" in out

    def test_strikethrough_survives(self) -> None:
        out = render_markdown("~~gone~~")
        assert "<s>gone</s>" in out or "<del>gone</del>" in out


FRAGMENTS = [
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "javascript:",
    "jav&#x09;ascript:",
    "&#106;",
    "[x](",
    ")",
    "](",
    "<",
    ">",
    '"',
    "'",
    "`",
    "```",
    "\n",
    "\n\n",
    "onclick=",
    " onerror=",
    "data:text/html,",
    "<a href=",
    "![",
    "&colon;",
    "<javascript:alert(1)>",
    "[r]: ",
    "[r]",
    "\t",
    "    ",
    "|",
    "**",
    "<!--",
    "-->",
]


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text_renders_to_nothing_executable(source: str) -> None:
    out = render_markdown(source)
    assert "<script" not in out.lower()
    assert not has_event_handler(out)
    assert problems(out) == []


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=25).map("".join)
)
def test_attack_fragments_in_any_order_render_to_nothing_executable(source: str) -> None:
    out = render_markdown(source)
    assert "<script" not in out.lower()
    assert not has_event_handler(out)
    for href in re.findall(r'href="([^"]*)"', out):
        assert scheme_of(href) in SAFE_SCHEMES | {None}
    assert problems(out) == []
