"""The guides' pictures, taken from the real pages on the demo data, light and dark, and written
where the guides read them (peerlearn/guide/static/guide/shots/). Every run retakes them, so a
picture is never older than the page it shows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.test import Client

from peerlearn.accounts.models import User
from peerlearn.guide import pages
from peerlearn.guide.tests.scenes import build_scenes

if TYPE_CHECKING:
    from .conftest import NewPage

pytestmark = pytest.mark.e2e

SHOTS = Path(pages.__file__).resolve().parent / "static"
READY = {  # what shows that a page has finished drawing itself
    "problem": ".monaco-editor",
}


def _session_cookie(email: str) -> str:
    client = Client()
    client.force_login(User.objects.get(email=email))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_guides_pictures_come_from_the_real_pages(live_url: str, new_page: NewPage) -> None:
    scenes = build_scenes()
    wanted = sorted({scene for guide in pages.all_guides() for scene in guide.shots})
    cookies = {scene.who: _session_cookie(scene.who) for scene in scenes.values() if scene.who}
    for theme in pages.THEMES:
        for name in wanted:
            scene = scenes[name]
            page = new_page(color_scheme=theme)
            if scene.who:
                page.context.add_cookies(
                    [
                        {
                            "name": settings.SESSION_COOKIE_NAME,
                            "value": cookies[scene.who],
                            "url": live_url,
                        }
                    ]
                )
            response = page.goto(live_url + scene.url, wait_until="networkidle")
            assert response is not None and response.status == 200, scene
            if name in READY:
                page.wait_for_selector(READY[name])
            page.evaluate("document.fonts.ready")
            target = SHOTS / pages.shot_path(name, theme)
            target.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(target))
            assert target.stat().st_size > 10_000, f"{target.name} looks empty"
            page.context.close()
