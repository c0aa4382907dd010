"""The weekly availability bits of the search document, and that they follow the weekly pattern
as the accounts services change it."""

from __future__ import annotations

from datetime import time

import pytest

from peerlearn.accounts import services as account_services
from peerlearn.accounts.services import WindowInput
from peerlearn.common.testing import make_subject, make_tutor
from peerlearn.matching import selectors
from peerlearn.matching.models import TutorDocument
from peerlearn.matching.week import bit, wanted, week_mask


def test_a_window_sets_its_weekday_and_the_parts_it_overlaps() -> None:
    # Tuesday 11:00–13:00 touches the morning and the afternoon; Friday 20:00–22:00 the evening.
    mask = week_mask([(1, time(11), time(13)), (4, time(20), time(22))])
    assert mask == (bit(1) | bit(1, "morning") | bit(1, "afternoon") | bit(4) | bit(4, "evening"))
    assert mask & wanted([1], "afternoon") and not mask & wanted([1], "evening")
    assert mask & wanted([0, 4]) and not mask & wanted([0, 2, 3, 5, 6])
    assert week_mask([(0, time(5), time(6))]) == bit(0)  # before the morning: the day only
    assert week_mask([]) == 0


@pytest.mark.django_db
def test_the_document_follows_the_weekly_pattern() -> None:
    tutor = make_tutor(subject=make_subject("Graphs"), display_name="Tess")
    account_services.availability_replace(
        actor=tutor, user=tutor, windows=[WindowInput(2, time(18), time(20))]
    )
    assert TutorDocument.objects.get(user=tutor).week_mask == bit(2) | bit(2, "evening")

    def found(**filters: object) -> bool:
        f = selectors.SearchFilters(**filters)  # type: ignore[arg-type]
        return tutor.pk in [u.pk for u in selectors.tutor_search(filters=f, viewer=None)]

    assert found(weekday=2, part="evening") and not found(weekday=2, part="morning")
    account_services.availability_replace(
        actor=tutor, user=tutor, windows=[WindowInput(5, time(9), time(10))]
    )
    assert found(weekday=5, part="morning") and not found(weekday=2)
    account_services.availability_replace(actor=tutor, user=tutor, windows=[])
    assert not found(weekday=5) and TutorDocument.objects.get(user=tutor).week_mask == 0
