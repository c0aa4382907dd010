"""Every scheduling list (My sessions' tabs, open group sessions; pages and API) costs the same
number of queries with a few bookings and with fifty more."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse

from peerlearn.common.testing import make_booking, make_tutor, make_user
from peerlearn.common.tests.querycounts import MANY, assert_flat, logged_in
from peerlearn.scheduling.models import Booking

pytestmark = pytest.mark.django_db

TABS = ["upcoming", "incoming", "outgoing", "past", "cancelled"]


class World:
    """A viewer who learns and teaches, with bookings in every tab, and open group sessions."""

    def __init__(self) -> None:
        self.viewer = make_tutor(display_name="Vera")
        self.tutors = [make_tutor() for _ in range(3)]
        self.learners = [make_user() for _ in range(3)]
        self.hours = itertools.count(1)  # each booking at an hour of its own: claims never overlap

    def at(self, past: bool = False) -> timedelta:
        hours = timedelta(hours=2 * next(self.hours))
        return -hours - timedelta(days=400) if past else hours + timedelta(days=1)

    def add(self, n: int) -> None:
        for i in range(n):
            tutor, learner = self.tutors[i % 3], self.learners[i % 3]
            make_booking(tutor, [self.viewer], starts_in=self.at())
            make_booking(self.viewer, [learner], starts_in=self.at(), status="requested")
            make_booking(tutor, [self.viewer], starts_in=self.at(), status="requested")
            make_booking(tutor, [self.viewer], starts_in=self.at(past=True), status="completed")
            make_booking(tutor, [self.viewer], starts_in=self.at(), status="cancelled")
            group = make_booking(tutor, [learner, self.learners[(i + 1) % 3]], starts_in=self.at())
            Booking.objects.filter(pk=group.pk).update(capacity=4, title=f"Group {i}")


def test_the_scheduling_lists_do_not_grow_with_the_rows() -> None:
    world = World()
    world.add(3)
    my_sessions = reverse("scheduling:my_sessions")
    urls = [f"{my_sessions}?tab={tab}" for tab in TABS]
    urls += [reverse("scheduling:groups")]
    urls += [f"/api/v1/bookings?view={tab}" for tab in TABS]
    urls += ["/api/v1/group-sessions", f"/api/v1/group-sessions?tutor_id={world.tutors[0].pk}"]

    client = logged_in(world.viewer)
    assert_flat([(client, url) for url in urls], lambda: world.add(MANY))
