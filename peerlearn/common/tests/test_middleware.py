"""The health check answers first: before host validation, the HTTPS redirect, sessions and the
database, so a load balancer's plain-HTTP probe by address gets a 200 and costs nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client


def test_health_is_ok_without_touching_the_database() -> None:
    response = Client().get("/healthz")  # no django_db mark: a query would fail the test

    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response


def test_a_probe_by_address_over_plain_http_is_answered(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["peerlearn.example.org"]
    settings.SECURE_SSL_REDIRECT = True

    response = Client().get("/healthz", HTTP_HOST="10.0.0.7:8000")

    assert response.status_code == 200
    assert response.json() == {"ok": True}


@pytest.mark.django_db
def test_other_paths_still_go_through_the_site(settings: Any) -> None:
    settings.ALLOWED_HOSTS = ["peerlearn.example.org"]

    assert Client().get("/healthz/", HTTP_HOST="10.0.0.7").status_code == 400  # host refused
    assert Client().post("/healthz", HTTP_HOST="10.0.0.7").status_code == 400
