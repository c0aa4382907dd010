"""Bad search filters answer 422 (the API's invalid-input status, code ``invalid_filter`` or
``invalid``) or an empty page, never a 500, on the API and the page alike."""

from __future__ import annotations

import pytest
from django.test import Client

from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.matching import selectors

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999"
OUT_OF_RANGE = [
    "subject=0",
    "subject=-1",
    f"subject={BIG}",
    "institution=0",
    f"institution={BIG}",
    "weekday=9",
    "next_days=0",
    f"next_days={BIG}",
    "min_rating=nan",
    "min_rating=inf",
    "min_rating=1e400",
    "min_rating=6",
    "max_km=-1",
    "max_km=inf",
    "level=bogus",
    "part=bogus",
    "sort=bogus",
    "format=bogus",
    "q=%00",
    "language=%00",
]
MALFORMED = ["subject=abc", "subject=1.5", "subject=%00", "weekday=x", "page=abc", "verified=?"]
HARMLESS = ["page=0", "page=-1", "page=99999999999", "q=!!!%26%26", "q=a:*", "subject=999999"]


@pytest.fixture
def client() -> Client:
    make_tutor(subject=make_subject("Graphs"))
    return Client()


@pytest.mark.parametrize("query", OUT_OF_RANGE)
def test_the_api_names_the_bad_filter(client: Client, query: str) -> None:
    response = client.get(f"/api/v1/tutors/search?{query}")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_filter"
    assert list(error["fields"]) == [query.split("=")[0]]


@pytest.mark.parametrize("query", MALFORMED)
def test_the_api_rejects_malformed_values_by_schema(client: Client, query: str) -> None:
    response = client.get(f"/api/v1/tutors/search?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize("query", HARMLESS)
def test_the_api_answers_harmless_oddities(client: Client, query: str) -> None:
    response = client.get(f"/api/v1/tutors/search?{query}")
    assert response.status_code == 200
    if query == "subject=999999":
        assert response.json()["results"] == []


@pytest.mark.parametrize("query", OUT_OF_RANGE + MALFORMED + HARMLESS)
def test_the_page_never_fails_on_a_bad_filter(client: Client, query: str) -> None:
    signed_in = Client()
    signed_in.force_login(make_user())
    for c in (client, signed_in):
        response = c.get(f"/tutors/?{query}")
        assert response.status_code == 200, query
        htmx = c.get(f"/tutors/?{query}", headers={"HX-Request": "true", "HX-Target": "results"})
        assert htmx.status_code == 200, query


def test_an_unknown_or_zero_subject_finds_nobody_on_the_page() -> None:
    make_tutor(subject=make_subject("Graphs"), display_name="Zed Visible")
    assert "Zed Visible" in Client().get("/tutors/").text
    for bad in ("0", "-4", "999999", BIG):
        assert "Zed Visible" not in Client().get(f"/tutors/?subject={bad}").text


def test_filter_problems_accepts_every_valid_query() -> None:
    subject = make_subject("Graphs")
    good = {
        "subject": str(subject.pk),
        "weekday": "0",
        "next_days": "14",
        "min_rating": "4",
        "max_km": "10",
        "level": "expert",
        "part": "evening",
        "sort": "rating",
        "format": "group",
        "q": "graphs",
        "language": "fr",
        "institution": "",
    }
    assert selectors.filter_problems(good) == []
