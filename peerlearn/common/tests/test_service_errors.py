"""The one error path: a ServiceError an HTML view lets through becomes its status's page."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import path

from config import urls as site_urls
from peerlearn.common.errors import (
    REFUSALS,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    RateLimited,
    ServiceError,
)

ERRORS: dict[str, ServiceError] = {
    "not-found": NotFound("No such lesson."),
    "forbidden": Forbidden("Only the tutor can do that."),
    "conflict": Conflict("That slot was just taken."),
    "invalid": Invalid("Pick a time in the future.", field="starts_at"),
    "limited": RateLimited("Too many tries; wait a minute."),
}


def raising(request: HttpRequest, name: str) -> HttpResponse:
    raise ERRORS[name]


# The site's own URLs too: the refusal page is a page of the site (its header links).
urlpatterns = [path("raise/<str:name>/", raising), *site_urls.urlpatterns]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.mark.parametrize(
    ("name", "status"),
    [("not-found", 404), ("forbidden", 403), ("conflict", 409), ("invalid", 400), ("limited", 429)],
)
def test_each_service_error_becomes_its_status(client, name: str, status: int) -> None:
    assert client.get(f"/raise/{name}/").status_code == status


def test_conflict_page_shows_the_message_and_a_way_back(client) -> None:
    response = client.get("/raise/conflict/", headers={"referer": "http://testserver/sessions/"})
    assert response.status_code == 409
    body = response.content.decode()
    assert "That slot was just taken." in body
    assert 'href="http://testserver/sessions/"' in body


def test_way_back_never_leaves_the_site(client) -> None:
    response = client.get("/raise/invalid/", headers={"referer": "https://evil.example/"})
    assert response.status_code == 400
    assert "evil.example" not in response.content.decode()


def test_htmx_gets_the_message_alone(client) -> None:
    response = client.get("/raise/conflict/", headers={"hx-request": "true"})
    assert response.status_code == 409
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == "That slot was just taken."


@override_settings(DEBUG=False)
def test_not_found_is_the_sites_404_page(client) -> None:
    response = client.get("/raise/not-found/")
    assert response.status_code == 404
    # Django's 404 handler, not the refusal page: nothing about the object leaks.
    assert "No such lesson." not in response.content.decode()


def test_refusals_are_every_service_error_but_not_found() -> None:
    assert NotFound not in REFUSALS
    for name, exc in ERRORS.items():
        assert isinstance(exc, REFUSALS) == (name != "not-found")
