"""Names and Role Provisioning: the course's roster, fetched page by page from the platform,
becomes the discussion category's membership; removals and inactive members are handled and a
second sync changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from lti_tool.models import LtiMembership

from peerlearn.accounts.models import User
from peerlearn.forum.models import CategoryMember
from peerlearn.lti import services
from peerlearn.lti.models import Course

from .helpers import INSTRUCTOR, launch, person
from .platform import Platform

pytestmark = pytest.mark.django_db


def roster(course: Course) -> set[str]:
    return set(
        CategoryMember.objects.filter(category=course.category).values_list(
            "user__email", flat=True
        )
    )


def test_the_roster_syncs_across_pages_and_handles_removals(
    platform: Platform, django_capture_on_commit_callbacks: Any
) -> None:
    platform.nrps_page_size = 2
    people = [person(n) for n in range(1, 6)]
    course = platform.course("c1", "Algorithms", [person(0, INSTRUCTOR), *people])
    # Three of them have opened PeerLearn (linked accounts); the launch queues a first sync.
    for p in people[:3]:
        with django_capture_on_commit_callbacks(execute=True):
            assert (
                launch(Client(), platform, platform.resource_launch(p, course)).response.status_code
                == 302
            )
    row = Course.objects.get()
    assert row.roster_synced_at is not None
    assert LtiMembership.objects.filter(context=row.context).count() == 6  # all pages
    assert roster(row) == {"student1@uni.example", "student2@uni.example", "student3@uni.example"}

    assert services.roster_sync(course_id=row.pk) == (0, 0)  # idempotent

    course.members = [m for m in course.members if m.sub != "user-1"]  # dropped the course
    next(m for m in course.members if m.sub == "user-2").status = "Inactive"
    assert services.roster_sync(course_id=row.pk) == (0, 2)
    assert roster(row) == {"student3@uni.example"}
    assert not LtiMembership.objects.get(context=row.context, user__sub="user-1").is_active
    gone = Client()
    gone.force_login(User.objects.get(email="student1@uni.example"))
    assert gone.get(f"/lti/courses/{row.pk}/").status_code == 404
    assert gone.get(f"/discussions/c/{row.category.slug}/").status_code == 404

    # Back on the roster: restored by the next sync.
    next(m for m in course.members if m.sub == "user-2").status = "Active"
    assert services.roster_sync(course_id=row.pk) == (1, 0)
    assert roster(row) == {"student2@uni.example", "student3@uni.example"}


def test_an_instructor_can_ask_for_a_sync_and_a_learner_cannot(
    platform: Platform, django_capture_on_commit_callbacks: Any
) -> None:
    course = platform.course("c1", "Algorithms", [person(0, INSTRUCTOR), person(1)])
    teacher, learner = Client(), Client()
    launch(teacher, platform, platform.resource_launch(person(0, INSTRUCTOR), course))
    launch(learner, platform, platform.resource_launch(person(1), course))
    row = Course.objects.get()
    assert learner.post(f"/lti/courses/{row.pk}/roster/").status_code == 403
    response = teacher.post(f"/lti/courses/{row.pk}/roster/")
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.roster_synced_at is not None
    assert len(roster(row)) == 2


def test_the_management_command_queues_due_syncs(platform: Platform) -> None:
    from django.core.management import call_command

    course = platform.course("c1", "Algorithms", [person(1)])
    launch(Client(), platform, platform.resource_launch(person(1), course))
    call_command("lti_sync_rosters")
    assert Course.objects.get().roster_synced_at is not None
