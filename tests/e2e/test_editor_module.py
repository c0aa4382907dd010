"""The Monaco code editor module (static/js/practice/editor.js) in real Chromium, under the
Content-Security-Policy the practice pages send: it renders, reports edits and Ctrl+S, switches
language, follows the site's theme live, and runs with no console error and no CSP violation.

The page comes from a test-only URLconf (this module) and goes through the project's real
middleware, so the CSP header is Django's, built from SECURE_CSP with the override the practice
views use (``peerlearn.practice.views.EDITOR_CSP``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.template import Context, Template
from django.urls import path
from django.views.decorators.csp import csp_override

from peerlearn.practice.views import EDITOR_CSP

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import NewPage, Screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.urls(__name__)]

# The practice pages' policy: the site's plus what Monaco needs.
PRACTICE_CSP = EDITOR_CSP

PAGE = Template(
    """{% load static %}<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta property="csp-nonce" nonce="{{ csp_nonce }}">
  <title>Editor</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{% static 'css/app.css' %}">
  <link rel="stylesheet" href="{% static 'css/practice.css' %}">
</head>
<body>
<main>
  <div class="workspace"><div class="ws-body"><section class="ws-code">
    <div id="editor" class="editor-host"></div>
  </section></div></div>
</main>
<script type="module" nonce="{{ csp_nonce }}">
  import { createEditor } from "{% static 'js/practice/editor.js' %}";
  window.saves = 0;
  window.changes = [];
  window.editor = await createEditor(document.getElementById("editor"), {
    language: "python",
    value: "def greet(name):\\n    return f'Hello, {name}!'\\n",
    onChange: (text) => window.changes.push(text),
    onSave: () => { window.saves += 1; },
  });
  document.body.dataset.ready = "yes";
</script>
</body>
</html>"""
)


@csp_override(PRACTICE_CSP)
def editor_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE.render(Context({"csp_nonce": get_nonce(request)})))


urlpatterns = [path("editor/", editor_page)]

# Runs before the page's own scripts: records CSP violations, and whether Ctrl+S's default
# action (the browser's "save page" dialog) was prevented.
PROBES = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}`);
});
window.addEventListener("keydown", (event) => {
  if (event.ctrlKey && event.key === "s") {
    setTimeout(() => { window.savePrevented = event.defaultPrevented; });
  }
}, true);
"""

MODEL = "window.monaco.editor.getModels()[0]"
FIRST_TOKEN_CLASS = "document.querySelector('#editor .view-line span span').className"


class EditorPage:
    """The page, with everything it logged: console messages, uncaught errors, workers."""

    def __init__(self, page: Page, live_url: str) -> None:
        self.page = page
        self.console: list[str] = []
        self.workers: list[str] = []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text[:300]}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.on("worker", lambda w: self.workers.append(w.url))
        page.add_init_script(PROBES)
        page.goto(f"{live_url}/editor/")
        page.wait_for_selector("body[data-ready=yes]")
        page.wait_for_selector("#editor .monaco-editor .view-line")

    def js(self, expression: str) -> object:
        return self.page.evaluate(expression)

    def background(self) -> str:
        return str(
            self.js(
                "getComputedStyle(document.querySelector('#editor .monaco-editor-background'))"
                ".backgroundColor"
            )
        )

    def assert_clean(self) -> None:
        problems = [m for m in self.console if m.startswith(("error", "warning", "pageerror"))]
        assert problems == []
        assert self.js("window.cspViolations") == []


def test_it_edits_saves_and_switches_language_under_the_practice_csp(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    browser = EditorPage(new_page(), live_url)
    page = browser.page
    editor = page.locator("#editor .monaco-editor")
    assert editor.is_visible()
    assert page.get_by_role("textbox", name="Code editor (Python)").count() == 1
    assert browser.background() == "rgb(255, 255, 255)"  # the site's light --surface
    # Python is highlighted: `def` is drawn as a keyword, not as plain text.
    page.wait_for_function(f"() => {FIRST_TOKEN_CLASS} !== 'mtk1'")
    python_def = browser.js(FIRST_TOKEN_CLASS)

    # Typing reaches getValue() and onChange; brackets close themselves, Tab indents by 4.
    page.locator("#editor .view-line").nth(2).click()
    page.keyboard.type("print(greet('Ada'")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.type("# done")
    expected = "def greet(name):\n    return f'Hello, {name}!'\nprint(greet('Ada'))\n    # done"
    assert browser.js("window.editor.getValue()") == expected
    assert browser.js("window.changes.at(-1)") == expected

    # Ctrl+S calls onSave and keeps the browser's own save dialog away.
    page.keyboard.press("Control+s")
    page.wait_for_function("() => window.saves === 1")
    page.wait_for_function("() => window.savePrevented === true")

    # Word completion comes from the editor worker: it runs, from the same-origin file.
    page.keyboard.press("Enter")
    page.keyboard.type("gre")
    page.keyboard.press("Control+Space")
    page.locator("#editor .suggest-widget .monaco-list-row", has_text="greet").wait_for()
    screenshot(page, "editor-light")
    page.keyboard.press("Escape")
    assert len(browser.workers) == 1
    assert "/static/vendor/monaco/vs/assets/editor.worker-" in browser.workers[0]

    # setValue replaces the text without reporting it as the person's edit.
    changes = browser.js("window.changes.length")
    browser.js("window.editor.setValue('def main():\\n    pass\\n')")
    assert browser.js("window.editor.getValue()") == "def main():\n    pass\n"
    assert browser.js("window.changes.length") == changes
    page.wait_for_function(f"() => {FIRST_TOKEN_CLASS} === {python_def!r}")

    # setLanguage re-highlights the same text: `def` is no keyword in C++.
    browser.js("window.editor.setLanguage('cpp')")
    assert browser.js(f"{MODEL}.getLanguageId()") == "cpp"
    page.wait_for_function(f"() => {FIRST_TOKEN_CLASS} !== {python_def!r}")
    assert page.get_by_role("textbox", name="Code editor (C++)").count() == 1

    # ... and with new text; JavaScript indents by 2 and starts no TypeScript worker.
    browser.js("window.editor.setLanguage('javascript', 'const answer = 42;\\n')")
    assert browser.js(f"{MODEL}.getLanguageId()") == "javascript"
    assert browser.js(f"{MODEL}.getOptions().tabSize") == 2
    assert browser.js("window.editor.getValue()") == "const answer = 42;\n"
    page.wait_for_function(f"() => {FIRST_TOKEN_CLASS} === {python_def!r}")  # `const`: a keyword
    page.wait_for_timeout(500)
    assert len(browser.workers) == 1

    browser.js("window.editor.dispose()")
    assert page.locator("#editor .monaco-editor").count() == 0
    assert browser.js("window.monaco.editor.getModels().length") == 0
    browser.assert_clean()


def test_it_follows_the_site_theme_live(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    browser = EditorPage(new_page(color_scheme="dark"), live_url)
    page = browser.page
    assert browser.background() == "rgb(23, 27, 46)"  # the site's dark --surface
    page.locator("#editor .view-line").first.click()
    page.keyboard.press("Control+f")  # the find widget: its icons come from Monaco's font
    page.locator("#editor .find-widget.visible").wait_for()
    page.wait_for_timeout(400)  # it slides in (200 ms); let it settle for the picture
    screenshot(page, "editor-dark")

    # The header's theme button sets data-theme on <html>; the editor follows at once.
    browser.js("document.documentElement.dataset.theme = 'light'")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#editor .monaco-editor-background'))"
        ".backgroundColor === 'rgb(255, 255, 255)'"
    )
    browser.js("document.documentElement.dataset.theme = 'dark'")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#editor .monaco-editor-background'))"
        ".backgroundColor === 'rgb(23, 27, 46)'"
    )
    # So does a change of the system's colour scheme when the site has no explicit choice.
    browser.js("delete document.documentElement.dataset.theme")
    page.emulate_media(color_scheme="light")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#editor .monaco-editor-background'))"
        ".backgroundColor === 'rgb(255, 255, 255)'"
    )
    browser.assert_clean()
