"""The guides render, can be searched, and never go stale: every page they link to exists, every
button, field or heading they name is on the page they name it for, and every picture they show
is taken by the end-to-end suite."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import Resolver404, resolve

from peerlearn.accounts.models import User
from peerlearn.guide import pages
from peerlearn.guide.tests.scenes import build_scenes

GUIDES = pages.all_guides()
_ATTRIBUTE_NAMES = re.compile(r'(?:aria-label|title|placeholder|value)="([^"]*)"')


def visible_names(markup: str) -> str:
    """The words a person sees or hears on a page: its text, and the labels screen readers read
    (aria-label, title, placeholder, button values); whitespace normalised."""
    body = markup.split("<body", 1)[-1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    attributes = " ".join(_ATTRIBUTE_NAMES.findall(body))
    return " ".join(html.unescape(f"{text} {attributes}").split())


def test_there_is_a_guide_for_each_audience() -> None:
    sections = {guide.section for guide in GUIDES}
    assert sections == set(pages.SECTIONS)
    slugs = {guide.slug for guide in GUIDES}
    for slug in ("getting-started", "tutoring", "practice", "discussions-and-messages"):
        assert slug in slugs
    for slug in ("notifications-and-calendar", "accessibility", "your-data", "faq"):
        assert slug in slugs
    for slug in ("moderation", "administration", "privacy", "terms"):
        assert slug in slugs


@pytest.mark.django_db
def test_index_lists_every_guide_and_links_each(client: Client) -> None:
    response = client.get("/guide/")
    assert response.status_code == 200
    content = response.content.decode()
    for guide in GUIDES:
        if guide.section != "policy":
            assert f'href="/guide/{guide.slug}/"' in content
    assert 'href="/privacy/"' in content and 'href="/terms/"' in content


@pytest.mark.django_db
@pytest.mark.parametrize("slug", [guide.slug for guide in GUIDES])
def test_every_guide_renders_for_anyone(client: Client, slug: str) -> None:
    response = client.get(f"/guide/{slug}/")
    assert response.status_code == 200
    assert f"<h1>{html.escape(pages.guide(slug).title)}</h1>" in response.content.decode()  # type: ignore[union-attr]


@pytest.mark.django_db
def test_privacy_and_terms_have_their_own_addresses_and_are_linked_from_every_page(
    client: Client,
) -> None:
    privacy = client.get("/privacy/").content.decode()
    assert "<h1>Privacy notice</h1>" in privacy
    assert "Video and audio are never recorded" in privacy
    assert "<h1>Terms of use</h1>" in client.get("/terms/").content.decode()
    home = client.get("/").content.decode()
    assert 'href="/privacy/"' in home and 'href="/terms/"' in home and 'href="/guide/"' in home


@pytest.mark.django_db
def test_an_unknown_guide_is_404(client: Client) -> None:
    assert client.get("/guide/no-such-guide/").status_code == 404


@pytest.mark.django_db
def test_search_finds_by_title_first_and_says_when_nothing_matches(client: Client) -> None:
    hits = pages.search("calendar")
    assert hits[0].guide.slug == "notifications-and-calendar"
    assert all("calendar" in (h.guide.title + h.guide.text).lower() for h in hits)
    # Every word must match: a second word narrows the results.
    assert {h.guide.slug for h in pages.search("calendar verdict")} == set()
    assert pages.search("") == [] and pages.search("  ?! ") == []
    page = client.get("/guide/", {"q": "verdict"}).content.decode()
    assert 'href="/guide/practice/"' in page
    empty = client.get("/guide/", {"q": "xylophone"}).content.decode()
    assert "Nothing found for “xylophone”" in empty
    long_query = client.get("/guide/", {"q": "a" * 5000})
    assert long_query.status_code == 200


def test_guides_are_sanitized_and_show_only_pictures_of_the_product() -> None:
    guide = pages.load_text(
        "---\ntitle: T\n---\n<script>alert(1)</script> [x](javascript:alert(1)) "
        "![a](https://evil.example/x.png) ![The search](shot:tutor-search) "
        "[Show tutors](ui:tutor-search)\n",
        "t",
    )
    assert "<script" not in guide.html and 'href="javascript' not in guide.html
    assert "evil.example" not in guide.html
    assert 'src="/static/guide/shots/tutor-search-light.png"' in guide.html
    assert 'src="/static/guide/shots/tutor-search-dark.png"' in guide.html
    assert '<strong class="ui-name">Show tutors</strong>' in guide.html
    assert guide.ui_names == (pages.UiName("Show tutors", "tutor-search"),)
    assert guide.shots == ("tutor-search",)


def test_every_page_a_guide_links_to_exists() -> None:
    slugs = {guide.slug for guide in GUIDES}
    broken = []
    for guide in GUIDES:
        for href in guide.page_links:
            path = href.split("#")[0].split("?")[0]
            try:
                match = resolve(path)
            except Resolver404:
                broken.append(f"{guide.slug}: {href}")
                continue
            if match.view_name == "guide:page" and match.kwargs["slug"] not in slugs:
                broken.append(f"{guide.slug}: {href} (no such guide)")
    assert not broken, broken


def test_every_picture_a_guide_shows_is_taken_by_the_e2e_suite() -> None:
    missing = [
        pages.shot_path(scene, theme)
        for guide in GUIDES
        for scene in guide.shots
        for theme in pages.THEMES
        if not finders.find(pages.shot_path(scene, theme))
    ]
    assert not missing, f"run tests/e2e/test_guide_pictures.py to take {missing}"


@pytest.mark.django_db
def test_every_name_a_guide_mentions_is_on_its_page() -> None:
    scenes = build_scenes()
    unknown = sorted(
        {name.scene for g in GUIDES for name in g.ui_names} | {s for g in GUIDES for s in g.shots}
    )
    assert not [name for name in unknown if name not in scenes], "scenes missing"
    seen: dict[str, str] = {}
    missing = []
    for guide in GUIDES:
        for name in guide.ui_names:
            if name.scene not in seen:
                scene = scenes[name.scene]
                client = Client()
                if scene.who:
                    client.force_login(User.objects.get(email=scene.who))
                response = client.get(scene.url)
                assert response.status_code == 200, (scene, response.status_code)
                seen[name.scene] = visible_names(response.content.decode())
            if name.label not in seen[name.scene]:
                missing.append(f"{guide.slug}: “{name.label}” is not on {name.scene}")
    assert not missing, missing


def test_the_names_check_would_catch_a_renamed_button() -> None:
    page = '<body><button type="submit">Show tutors</button><a title="Mute microphone">m</a>'
    names = visible_names(page)
    assert "Show tutors" in names and "Mute microphone" in names
    assert "Find tutors" not in names
    assert "alert" not in visible_names("<body><script>alert('Show')</script>")


def test_shots_exist_only_for_scenes_the_guides_use() -> None:
    used = {scene for guide in GUIDES for scene in guide.shots}
    folder = Path(__file__).resolve().parents[1] / "static" / pages.SHOTS_STATIC_DIR
    stale = [path.name for path in folder.glob("*.png") if path.stem.rsplit("-", 1)[0] not in used]
    assert not stale, f"pictures no guide shows: {stale}"


def test_every_guide_link_in_the_pages_leads_to_a_guide_and_section() -> None:
    """The "How this works" links that forms and empty states carry."""
    root = Path(__file__).resolve().parents[3]
    include = re.compile(r'guide_link\.html" with slug="([^"]+)"(?: anchor="([^"]+)")?')
    links: list[tuple[Path, str, str | None]] = [
        (path.relative_to(root), match[1], match[2])
        for folder in (root / "templates", root / "peerlearn")
        for path in folder.rglob("*.html")
        for match in include.finditer(path.read_text(encoding="utf-8"))
    ]
    assert len(links) >= 8
    broken = []
    for path, slug, anchor in links:
        guide = pages.guide(slug)
        if guide is None or (anchor and anchor not in dict(guide.headings)):
            broken.append(f"{path}: {slug}#{anchor}")
    assert not broken, broken
