"""The LMS course pages (my courses; a course with its tutors, problem sets, group sessions and,
for its instructor, placements and the curate form) cost the same number of queries with a few
rows and with fifty more."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.test import Client
from lti_tool.models import LtiContext, LtiMembership, LtiUser

from peerlearn.common.testing import make_booking, make_subject, make_tutor, make_user
from peerlearn.common.tests.querycounts import MANY, assert_flat
from peerlearn.forum.models import Category
from peerlearn.lti.models import Course, Placement
from peerlearn.practice.tests.factories import make_add_problem

from .helpers import INSTRUCTOR, launch, person
from .platform import Platform

pytestmark = pytest.mark.django_db


def test_the_course_pages_do_not_grow_with_the_rows(client: Client, platform: Platform) -> None:
    launch(
        client,
        platform,
        platform.resource_launch(
            person(1, roles=INSTRUCTOR), platform.course("algo-101", "Algorithms 101", [])
        ),
    )
    course = Course.objects.get()
    instructor = LtiUser.objects.get(sub="user-1")
    topic = make_subject("Sorting", parent_names=("Computing", "Algorithms"))
    assert topic.parent is not None
    course.subjects.add(topic.parent)
    numbers = itertools.count()

    def add(n: int) -> None:
        for _ in range(n):
            i = next(numbers)
            tutor = make_tutor(f"tutor{i}@uni.example", subject=topic)
            learners = [make_user(f"learner{i}-{k}@uni.example") for k in range(2)]
            make_booking(tutor, learners, starts_in=timedelta(days=1 + i))
            problem = make_add_problem(f"course-problem-{i}", topics=[f"set-{i}"])
            course.topics.add(*problem.topics.all())
            Placement.objects.create(
                course=course, kind=Placement.Kind.PROBLEM, problem=problem, title=f"Problem {i}"
            )
            other = LtiContext.objects.create(
                deployment=course.context.deployment,
                id_on_platform=f"other-{i}",
                title=f"Course {i}",
            )
            LtiMembership.objects.create(user=instructor, context=other, is_learner=True)
            Course.objects.create(
                context=other,
                title=f"Course {i}",
                institution=course.institution,
                category=Category.objects.create(name=f"Course {i}", slug=f"course-other-{i}"),
            )

    add(3)
    assert_flat(
        [(client, "/lti/courses/"), (client, f"/lti/courses/{course.pk}/")], lambda: add(MANY)
    )
    # The rows are on the pages that were counted (not an empty page counted twice).
    last = next(numbers) - 1
    assert f"Course {last}" in client.get("/lti/courses/").content.decode()
    page = client.get(f"/lti/courses/{course.pk}/").content.decode()
    assert f"Problem {last}" in page
    assert "set-0" in page
