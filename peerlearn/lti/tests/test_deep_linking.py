"""Deep linking: an instructor places a course page, the discussion, a problem (graded) or a
problem set; the platform receives a signed answer; learners who open the link land there."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
import requests
from django.test import Client

from peerlearn.lti.models import Course, GradedLink, Placement
from peerlearn.practice.tests.factories import make_add_problem

from .helpers import INSTRUCTOR, launch, person
from .platform import Platform

pytestmark = pytest.mark.django_db


def place(client: Client, platform: Platform, course: Any, data: dict[str, str]) -> dict[str, Any]:
    """An instructor's deep-linking launch, the picker, and the answer POSTed to the platform
    over HTTP; returns the content item the platform stored."""
    result = launch(client, platform, platform.deep_linking_launch(person(1, INSTRUCTOR), course))
    assert result.response.status_code == 302
    assert result.response["Location"] == "/lti/deep-link/"
    picker = client.get("/lti/deep-link/")
    assert picker.status_code == 200
    answer = client.post("/lti/deep-link/", data)
    assert answer.status_code == 200, answer.content
    page = answer.content.decode()
    action = unescape(re.search(r'action="([^"]+)" data-lti-autosubmit', page).group(1))  # type: ignore[union-attr]
    token = re.search(r'name="JWT" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert action == platform.url(f"/deep_link_return/{course.id}")
    assert action.split("/deep_link")[0] in answer["Content-Security-Policy"]  # form-action
    back = requests.post(action, data={"JWT": token}, timeout=10)
    assert back.status_code == 200, back.text
    return platform.deep_link_responses[-1]["items"][0]


def test_an_instructor_places_a_graded_problem_and_a_learner_opens_it(
    client: Client, platform: Platform
) -> None:
    problem = make_add_problem()
    course = platform.course("c1", "Algorithms", [])
    item = place(
        client, platform, course, {"kind": "problem", "problem": problem.slug, "graded": "on"}
    )

    placement = Placement.objects.get()
    assert placement.graded and placement.problem == problem
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == platform.tool_launch_url
    assert item["custom"] == {"peerlearn_placement": str(placement.token)}
    assert item["lineItem"]["scoreMaximum"] == 100
    lineitem = item["lineitem_url"]

    learner = Client()
    claims = platform.resource_launch(
        person(2), course, link_id="link-9", custom=item["custom"], lineitem=lineitem
    )
    opened = launch(learner, platform, claims).response
    assert opened.status_code == 302
    assert opened["Location"] == f"/practice/problems/{problem.slug}/"
    link = GradedLink.objects.get()
    assert link.lineitem_url == lineitem and link.placement == placement


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"kind": "course"}, "/lti/courses/{course}/"),
        ({"kind": "category"}, "/discussions/c/{category}/"),
        ({"kind": "topic", "topic": "math"}, "/practice/?topic=math"),
    ],
)
def test_other_placements_open_their_page(
    data: dict[str, str], where: str, client: Client, platform: Platform
) -> None:
    make_add_problem()  # creates the "math" topic
    course = platform.course("c1", "Algorithms", [])
    item = place(client, platform, course, data)
    assert "lineItem" not in item
    row = Course.objects.get()
    learner = Client()
    claims = platform.resource_launch(person(2), course, link_id="l2", custom=item["custom"])
    opened = launch(learner, platform, claims).response
    assert opened["Location"] == where.format(course=row.pk, category=row.category.slug)
    assert learner.get(opened["Location"]).status_code == 200


def test_a_learner_cannot_deep_link(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Algorithms", [])
    result = launch(client, platform, platform.deep_linking_launch(person(1), course))
    assert result.response.status_code == 403
    assert client.get("/lti/deep-link/").status_code == 400
    assert not Placement.objects.exists()


def test_the_picker_needs_a_deep_linking_launch(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Algorithms", [])
    launch(client, platform, platform.resource_launch(person(1, INSTRUCTOR), course))
    response = client.post("/lti/deep-link/", {"kind": "course"})
    assert response.status_code == 400
    assert not Placement.objects.exists()


def test_a_bad_choice_is_shown_on_the_form(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Algorithms", [])
    launch(client, platform, platform.deep_linking_launch(person(1, INSTRUCTOR), course))
    response = client.post("/lti/deep-link/", {"kind": "problem", "problem": "no-such"})
    assert response.status_code == 200
    assert b"Choose a problem from the list." in response.content
    assert not Placement.objects.exists()


def test_a_placement_from_another_course_is_refused(client: Client, platform: Platform) -> None:
    make_add_problem()
    first = platform.course("c1", "Algorithms", [])
    item = place(client, platform, first, {"kind": "course"})
    second = platform.course("c2", "Databases", [])
    claims = platform.resource_launch(person(2), second, custom=item["custom"])
    response = launch(Client(), platform, claims).response
    assert response.status_code == 403
    assert b"made for another course" in response.content


def test_the_deep_linking_answer_cannot_be_used_twice(client: Client, platform: Platform) -> None:
    course = platform.course("c1", "Algorithms", [])
    place(client, platform, course, {"kind": "course"})
    assert client.post("/lti/deep-link/", {"kind": "course"}).status_code == 400
    assert Placement.objects.count() == 1
