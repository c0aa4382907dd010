"""The installable web app: manifest, service worker and offline page."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_manifest_names_the_app_and_its_icons() -> None:
    response = Client().get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon


def test_the_service_worker_covers_the_site_and_keeps_the_offline_page() -> None:
    response = Client().get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert '"/offline/"' in response.content.decode()


def test_the_offline_page_and_every_page_links_the_manifest() -> None:
    offline = Client().get("/offline/")
    home = Client().get("/").content.decode()

    assert offline.status_code == 200 and b"You are offline" in offline.content
    assert '<link rel="manifest" href="/manifest.webmanifest">' in home
