"""Several tutors accept one help request at the same moment, each on its own thread and
database connection: exactly one wins and exactly one booking exists (PostgreSQL: the request
row is locked with SELECT … FOR UPDATE)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from conftest import require
from peerlearn.common.errors import Conflict
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.matching.help import services
from peerlearn.matching.help.models import HelpOffer, HelpRequest
from peerlearn.scheduling.models import Booking, TimeClaim
from peerlearn.scheduling.tests.test_concurrency import Outcome, overlapping_active_claims, race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("plain_candidates")]


def first_slot(days_ahead: int = 3) -> datetime:
    day = datetime.now(UTC) + timedelta(days=days_ahead)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


def accept_call(offer: HelpOffer) -> Callable[[], Outcome]:
    def call() -> Outcome:
        try:
            accepted = services.help_offer_accept(actor=offer.tutor, offer_id=offer.pk)
        except Conflict as exc:
            return Outcome(code=exc.code)
        return Outcome(booking_id=HelpRequest.objects.get(pk=accepted.request_id).booking_id)

    return call


@pytest.mark.parametrize("tutors", [3, 12])
def test_tutors_accepting_at_once_make_exactly_one_booking(settings, tutors: int) -> None:
    require(connection.vendor == "postgresql", "PostgreSQL")
    settings.HELP_REQUEST_OFFER_COUNT = tutors
    topic = make_subject("Race")
    for i in range(tutors):
        make_tutor(display_name=f"Tutor {i}", subject=topic)
    learner = make_user()
    request = services.help_request_create(
        actor=learner,
        subject_id=topic.pk,
        description="Quick!",
        starts_at=first_slot(),
        duration_minutes=60,
    )
    offers = list(HelpOffer.objects.filter(request=request).select_related("tutor"))
    assert len(offers) == tutors

    outcomes = race([accept_call(o) for o in offers])

    assert not [o.error for o in outcomes if o.error is not None]
    winners = [o for o in outcomes if o.booking_id is not None]
    assert len(winners) == 1
    assert Counter(o.code for o in outcomes if o.booking_id is None) == {"taken": tutors - 1}
    booking = Booking.objects.get()
    assert booking.status == Booking.Status.CONFIRMED and booking.pk == winners[0].booking_id
    request.refresh_from_db()
    assert request.status == "accepted" and request.booking_id == booking.pk
    statuses = Counter(HelpOffer.objects.filter(request=request).values_list("status", flat=True))
    assert statuses == {"accepted": 1, "taken": tutors - 1}
    assert TimeClaim.objects.filter(active=True).count() == 2
    assert overlapping_active_claims() == []


def test_sqlite_serializes_the_accepts_too(sqlite_file_database, settings) -> None:
    """SQLite has no row locks: BEGIN IMMEDIATE queues the accepting transactions instead."""
    settings.HELP_REQUEST_OFFER_COUNT = 6
    topic = make_subject("Race")
    for i in range(6):
        make_tutor(display_name=f"Tutor {i}", subject=topic)
    request = services.help_request_create(
        actor=make_user(),
        subject_id=topic.pk,
        description="Quick!",
        starts_at=first_slot(),
        duration_minutes=60,
    )
    offers = list(HelpOffer.objects.filter(request=request).select_related("tutor"))

    outcomes = race([accept_call(o) for o in offers], settings_dict=sqlite_file_database)

    assert not [o.error for o in outcomes if o.error is not None]
    assert len([o for o in outcomes if o.booking_id is not None]) == 1
    assert Booking.objects.count() == 1
