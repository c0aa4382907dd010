"""A broad full-text search (more matches than ``SEARCH_COUNT_CAP``) by relevance ranks only the
cap's most recently changed matches, so its cost does not grow with the number of tutors;
narrower searches and the other sorts still rank every match."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from conftest import require
from peerlearn.accounts import services as account_services
from peerlearn.accounts.models import User
from peerlearn.common.testing import make_subject, make_tutor
from peerlearn.matching import selectors
from peerlearn.matching.models import TutorDocument
from peerlearn.reviews.models import TutorRatingTotal

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_cap(settings) -> None:
    settings.SEARCH_COUNT_CAP = 3


def tutor(
    name: str, bio: str, *, changed_days_ago: int, languages: list[str] | None = None
) -> User:
    user = make_tutor(display_name=name)
    account_services.profile_update(
        actor=user,
        user=user,
        data=account_services.ProfileInput(
            display_name=name, bio=bio, languages=languages or ["en"]
        ),
    )
    TutorDocument.objects.filter(user=user).update(
        updated_at=timezone.now() - timedelta(days=changed_days_ago)
    )
    return user


def search(**filters: object) -> selectors.SearchResults:
    f = selectors.SearchFilters(**filters)  # type: ignore[arg-type]
    return selectors.search_page(filters=f, viewer=None, page=1)


def names(results: selectors.SearchResults) -> list[str]:
    return [hit.display_name for hit in results.hits]


def test_a_broad_search_ranks_the_caps_most_recently_changed_matches() -> None:
    tutor("Old Star", "student student student mentor", changed_days_ago=30)
    for days in (1, 2, 3, 4):
        tutor(f"Recent {days}", "a patient student", changed_days_ago=days)
    results = search(q="student")
    assert results.count == 3 and not results.count_exact  # "3+"
    assert sorted(names(results)) == ["Recent 1", "Recent 2", "Recent 3"]


def test_the_candidates_are_taken_after_the_filters() -> None:
    for days in (1, 2, 3):
        tutor(f"German {days}", "student", changed_days_ago=days, languages=["de"])
    for days in (10, 11, 12, 13):
        tutor(f"English {days}", "student", changed_days_ago=days)
    results = search(q="student", language="en")
    assert results.count == 3 and not results.count_exact
    assert sorted(names(results)) == ["English 10", "English 11", "English 12"]


def test_among_the_candidates_the_better_text_match_comes_first() -> None:
    require(connection.vendor == "postgresql", "PostgreSQL (text ranking)")
    tutor("Plain One", "student", changed_days_ago=1)
    tutor("Student Champion", "student of students", changed_days_ago=2)
    tutor("Plain Two", "student", changed_days_ago=3)
    tutor("Plain Old", "student", changed_days_ago=9)
    assert names(search(q="student"))[0] == "Student Champion"  # name (weight A) and bio


def test_a_search_within_the_cap_ranks_every_match() -> None:
    require(connection.vendor == "postgresql", "PostgreSQL (text ranking)")
    tutor("Student Champion", "student of students", changed_days_ago=60)
    tutor("Plain One", "student", changed_days_ago=1)
    tutor("Plain Two", "student", changed_days_ago=2)
    results = search(q="student")
    assert results.count == 3 and results.count_exact
    assert names(results)[0] == "Student Champion"


def test_sorting_a_broad_search_by_rating_considers_every_match() -> None:
    best = tutor("Best Rated", "student", changed_days_ago=90)
    TutorRatingTotal.objects.create(tutor=best, count=40, total=Decimal(200))
    for days in (1, 2, 3, 4):
        tutor(f"Recent {days}", "student", changed_days_ago=days)
    results = search(q="student", sort="rating")
    assert not results.count_exact
    assert names(results)[0] == "Best Rated"


def test_a_subject_filter_keeps_topic_matches_first_in_a_broad_search() -> None:
    topic = make_subject("Graph theory")
    exact = make_tutor(subject=topic, display_name="Topic Tutor")
    TutorDocument.objects.filter(user=exact).update(updated_at=timezone.now())
    for days in (1, 2, 3, 4):
        other = tutor(f"Other {days}", "student", changed_days_ago=days)
        assert topic.parent_id is not None
        account_services.teaching_subject_set(
            actor=other, subject_id=topic.parent_id, proficiency="expert"
        )
        TutorDocument.objects.filter(user=other).update(
            updated_at=timezone.now() - timedelta(days=days)
        )
    account_services.profile_update(
        actor=exact,
        user=exact,
        data=account_services.ProfileInput(display_name="Topic Tutor", bio="student"),
    )
    results = search(q="student", subject_id=topic.pk)
    assert not results.count_exact
    assert names(results)[0] == "Topic Tutor"
    assert [hit.match for hit in results.hits] == ["topic", "subject", "subject"]
