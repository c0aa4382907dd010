"""A launch from a registered platform: account linking, institution, course page, members-only
discussion category, instructor role."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from lti_tool.models import LtiUser

from peerlearn.accounts.models import User
from peerlearn.common.testing import make_user
from peerlearn.forum.models import CategoryMember
from peerlearn.forum.selectors import visible_categories
from peerlearn.lti.models import Course, PlatformLink

from .helpers import INSTRUCTOR, launch, person
from .platform import Platform

pytestmark = pytest.mark.django_db


def test_a_first_launch_creates_a_linked_account_in_the_platforms_institution(
    client: Client, platform: Platform
) -> None:
    course = platform.course("algo-101", "Algorithms 101", [])
    ada = person(1, name="Ada Lovelace", email="Ada@Uni.example")

    result = launch(client, platform, platform.resource_launch(ada, course))

    assert result.response.status_code == 302
    user = User.objects.get(email="ada@uni.example")
    assert LtiUser.objects.get(sub="user-1").auth_user == user
    assert user.profile.display_name == "Ada Lovelace"
    assert user.profile.institution is not None
    assert user.profile.institution.slug == "test-university"
    assert EmailAddress.objects.get(user=user).verified  # the platform is trusted for emails
    course_row = Course.objects.get()
    assert result.response["Location"] == f"/lti/courses/{course_row.pk}/"
    assert course_row.title == "Algorithms 101"
    assert client.get(result.response["Location"]).status_code == 200
    assert int(client.session["_auth_user_id"]) == user.pk


def test_the_course_category_is_seen_only_by_its_members(
    client: Client, platform: Platform
) -> None:
    course = platform.course("algo-101", "Algorithms 101", [])
    launch(client, platform, platform.resource_launch(person(1), course))
    member = User.objects.get(email="student1@uni.example")
    category = Course.objects.get().category
    assert category.roster_only and category.members_only
    assert CategoryMember.objects.filter(category=category, user=member).exists()
    assert category in visible_categories(member)

    same_institution = make_user(institution=member.profile.institution)
    assert category not in visible_categories(same_institution)
    outsider = Client()
    outsider.force_login(same_institution)
    assert outsider.get(f"/discussions/c/{category.slug}/").status_code == 404
    assert outsider.get(f"/lti/courses/{Course.objects.get().pk}/").status_code == 404


def test_a_second_launch_signs_in_the_same_account(client: Client, platform: Platform) -> None:
    course = platform.course("algo-101", "Algorithms 101", [])
    ada = person(1)
    launch(client, platform, platform.resource_launch(ada, course))
    ada.email = "changed@uni.example"
    other = Client()
    result = launch(other, platform, platform.resource_launch(ada, course))
    assert result.response.status_code == 302
    assert User.objects.count() == 1
    assert Course.objects.count() == 1


def test_a_trusted_email_links_an_existing_account(client: Client, platform: Platform) -> None:
    existing = make_user("ada@uni.example")
    course = platform.course("algo-101", "Algorithms 101", [])
    launch(client, platform, platform.resource_launch(person(1, email="ada@uni.example"), course))
    assert LtiUser.objects.get(sub="user-1").auth_user == existing


def test_an_untrusted_email_never_takes_over_an_existing_account(
    client: Client, platform: Platform
) -> None:
    PlatformLink.objects.update(trust_email=False)
    existing = make_user("ada@uni.example")
    course = platform.course("algo-101", "Algorithms 101", [])
    result = launch(
        client, platform, platform.resource_launch(person(1, email="ada@uni.example"), course)
    )
    assert result.response.status_code == 403
    assert b"already uses your email" in result.response.content
    assert not LtiUser.objects.filter(auth_user=existing).exists()
    assert "_auth_user_id" not in client.session

    # Someone else signed in cannot take the link; the account's owner can, after confirming.
    link = re.search(rb'href="(/lti/link/[^"]+/)"', result.response.content).group(1).decode()  # type: ignore[union-attr]
    client.force_login(make_user("mallory@uni.example"))
    assert client.post(link).status_code == 403
    assert not LtiUser.objects.filter(auth_user__isnull=False).exists()
    client.force_login(existing)
    assert b"Link my account" in client.get(link).content
    assert client.post(link)["Location"] == f"/lti/courses/{Course.objects.get().pk}/"
    assert LtiUser.objects.get(sub="user-1").auth_user == existing
    assert client.get(f"/lti/courses/{Course.objects.get().pk}/").status_code == 200
    assert client.post(link[:-5] + "xxxx/").status_code == 403  # a forged token


def test_an_instructor_can_curate_the_course_page_and_a_learner_cannot(
    client: Client, platform: Platform
) -> None:
    from peerlearn.common.testing import make_subject
    from peerlearn.practice.tests.factories import make_add_problem

    make_add_problem()
    subject = make_subject("Graphs")
    course = platform.course("algo-101", "Algorithms 101", [])
    launch(client, platform, platform.resource_launch(person(1, INSTRUCTOR), course))
    course_row = Course.objects.get()
    page = client.get(f"/lti/courses/{course_row.pk}/")
    assert b"Curate this page" in page.content
    response = client.post(
        f"/lti/courses/{course_row.pk}/curate/",
        {"intro": "Week 3: graphs", "subjects": [subject.pk], "topics": []},
    )
    assert response.status_code == 302
    course_row.refresh_from_db()
    assert course_row.intro == "Week 3: graphs"
    assert list(course_row.subjects.all()) == [subject]

    learner = Client()
    launch(learner, platform, platform.resource_launch(person(2), course))
    assert b"Curate this page" not in learner.get(f"/lti/courses/{course_row.pk}/").content
    refused = learner.post(f"/lti/courses/{course_row.pk}/curate/", {"intro": "mine"})
    assert refused.status_code == 403
    course_row.refresh_from_db()
    assert course_row.intro == "Week 3: graphs"


def test_a_launch_without_a_course_context_is_refused_with_a_clear_page(
    client: Client, platform: Platform
) -> None:
    result = launch(client, platform, platform.resource_launch(person(1), None))
    assert result.response.status_code == 403
    assert b"does not say which course" in result.response.content
    assert not User.objects.exists()


def test_the_jwks_publishes_our_active_keys(client: Client, platform: Platform) -> None:
    keys = client.get("/lti/jwks.json").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"
    assert "d" not in keys[0]  # never the private part
