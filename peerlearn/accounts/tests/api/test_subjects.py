"""The accounts part of the JSON API at /api/v1/, driven through the test client with a browser
session (JWT is covered in peerlearn/api/tests/test_jwt.py).

Learning and teaching subjects; the subject tree and search."""

from __future__ import annotations

import pytest
from django.test import Client

from peerlearn.accounts.models import (
    TeachingSubject,
    User,
)
from peerlearn.accounts.tests.api.helpers import API, assert_error, client_for, post_json
from peerlearn.common.testing import (
    make_subject,
    make_user,
)

pytestmark = pytest.mark.django_db


# --- me: subjects -----------------------------------------------------------------------------


def test_learning_subjects_add_list_update_and_remove() -> None:
    user = make_user()
    topic = make_subject("Graphs")
    client = client_for(user)

    response = post_json(
        client, f"{API}/me/learning-subjects", {"subject_id": topic.pk, "level": "beginner"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["level"] == "beginner"

    post_json(client, f"{API}/me/learning-subjects", {"subject_id": topic.pk, "level": "advanced"})
    listed = client.get(f"{API}/me/learning-subjects").json()
    assert [(i["subject"]["id"], i["level"]) for i in listed] == [(topic.pk, "advanced")]

    response = client.delete(f"{API}/me/learning-subjects/{topic.pk}")
    assert response.status_code == 204
    assert client.get(f"{API}/me/learning-subjects").json() == []

    assert_error(client.delete(f"{API}/me/learning-subjects/{topic.pk}"), 404, "not_found")


def test_an_unknown_subject_is_422_naming_subject_id() -> None:
    user = make_user()

    response = post_json(
        client_for(user), f"{API}/me/learning-subjects", {"subject_id": 999999, "level": "beginner"}
    )

    assert_error(response, 422, "invalid_subject", field="subject_id")


def test_an_unknown_level_is_422_naming_level() -> None:
    user = make_user()
    topic = make_subject()

    response = post_json(
        client_for(user),
        f"{API}/me/learning-subjects",
        {"subject_id": topic.pk, "level": "godlike"},
    )

    assert_error(response, 422, "invalid", field="level")


def test_teaching_subjects_add_list_and_remove() -> None:
    user = make_user()
    topic = make_subject("Recursion")
    client = client_for(user)

    response = post_json(
        client,
        f"{API}/me/teaching-subjects",
        {"subject_id": topic.pk, "proficiency": "expert", "evidence": "TA for CS101"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["verified"] is False
    listed = client.get(f"{API}/me/teaching-subjects").json()
    assert [(i["subject"]["id"], i["proficiency"], i["evidence"]) for i in listed] == [
        (topic.pk, "expert", "TA for CS101")
    ]
    user.refresh_from_db()
    assert user.role == User.Role.TUTOR

    assert client.delete(f"{API}/me/teaching-subjects/{topic.pk}").status_code == 204
    assert not TeachingSubject.objects.filter(user=user).exists()


def test_a_whole_area_cannot_be_taught() -> None:
    user = make_user()
    topic = make_subject()
    assert topic.parent is not None and topic.parent.parent is not None
    area = topic.parent.parent

    response = post_json(client_for(user), f"{API}/me/teaching-subjects", {"subject_id": area.pk})

    assert_error(response, 422, "invalid_subject", field="subject_id")


def test_subjects_as_a_tree_and_as_search_results() -> None:
    topic = make_subject("Zeta shortest paths", parent_names=("Zeta computing", "Zeta algorithms"))
    make_subject("Zeta linear algebra", parent_names=("Zeta mathematics", "Zeta algebra"))
    client = Client()

    tree = client.get(f"{API}/subjects").json()

    computing = next(area for area in tree if area["name"] == "Zeta computing")
    assert computing["kind"] == "area"
    algorithms = computing["children"][0]
    assert algorithms["name"] == "Zeta algorithms"
    assert [t["id"] for t in algorithms["children"]] == [topic.pk]

    found = client.get(f"{API}/subjects", {"q": "zeta shortest"}).json()
    assert [(s["id"], s["kind"], s["children"]) for s in found] == [(topic.pk, "topic", [])]
