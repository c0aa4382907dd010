from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from peerlearn.accounts import selectors, services
from peerlearn.accounts.models import AvailabilityException, Institution, InstitutionDomain
from peerlearn.common.errors import NotFound
from peerlearn.common.testing import PDF_BYTES, make_moderator, make_subject, make_user, upload

pytestmark = pytest.mark.django_db
W = services.WindowInput


def free_cells(grid: dict) -> set[tuple[str, int]]:
    """(hour label, weekday index) of every free cell."""
    return {(label, d) for label, cells in grid["rows"] for d, free in enumerate(cells) if free}


class TestWeekGrid:
    def test_it_converts_to_the_viewers_time_zone(self) -> None:
        owner = make_user(timezone="Europe/Berlin")
        services.availability_replace(actor=owner, user=owner, windows=[W(0, time(18), time(20))])
        # A week in January: Berlin is UTC+1, New York UTC-5.
        grid = selectors.availability_week_grid(
            owner=owner, viewer_tz="America/New_York", week_of=date(2027, 1, 13), start_hour=0
        )
        assert free_cells(grid) == {("12:00", 0), ("13:00", 0)}

    def test_it_follows_daylight_saving_changes_on_either_side(self) -> None:
        owner = make_user(timezone="Europe/Berlin")
        services.availability_replace(actor=owner, user=owner, windows=[W(0, time(18), time(19))])
        # 16 March 2026: the US is on summer time already, Europe not yet -> 5 hours apart.
        grid = selectors.availability_week_grid(
            owner=owner, viewer_tz="America/New_York", week_of=date(2026, 3, 16), start_hour=0
        )
        assert free_cells(grid) == {("13:00", 0)}
        # 30 March 2026: both on summer time -> 6 hours apart.
        grid = selectors.availability_week_grid(
            owner=owner, viewer_tz="America/New_York", week_of=date(2026, 3, 30), start_hour=0
        )
        assert free_cells(grid) == {("12:00", 0)}

    def test_a_window_can_move_to_another_day_for_the_viewer(self) -> None:
        owner = make_user(timezone="Asia/Tokyo")
        services.availability_replace(
            actor=owner, user=owner, windows=[W(1, time(8), time(9))]
        )  # Tue 08:00 JST
        grid = selectors.availability_week_grid(
            owner=owner, viewer_tz="Europe/London", week_of=date(2027, 1, 13), start_hour=0
        )
        assert free_cells(grid) == {("23:00", 0)}  # Monday 23:00 in London

    def test_dated_exceptions_apply_to_their_week(self) -> None:
        owner = make_user(timezone="UTC")
        services.availability_replace(
            actor=owner, user=owner, windows=[W(0, time(9), time(12)), W(2, time(9), time(10))]
        )
        AvailabilityException.objects.create(
            user=owner,
            date=date(2027, 1, 11),
            kind="unavailable",
            start_time=time(10),
            end_time=time(11),
        )
        AvailabilityException.objects.create(user=owner, date=date(2027, 1, 13), kind="unavailable")
        AvailabilityException.objects.create(
            user=owner,
            date=date(2027, 1, 15),
            kind="available",
            start_time=time(7),
            end_time=time(8),
        )
        grid = selectors.availability_week_grid(
            owner=owner, viewer_tz="UTC", week_of=date(2027, 1, 11), start_hour=0
        )
        assert free_cells(grid) == {("09:00", 0), ("11:00", 0), ("07:00", 4)}
        next_week = selectors.availability_week_grid(
            owner=owner, viewer_tz="UTC", week_of=date(2027, 1, 18), start_hour=0
        )
        assert ("10:00", 0) in free_cells(next_week) and ("09:00", 2) in free_cells(next_week)


def test_day_intervals_are_aware_and_cut_by_exceptions() -> None:
    owner = make_user()
    services.availability_replace(actor=owner, user=owner, windows=[W(0, time(9), time(17))])
    tz = ZoneInfo("Europe/Berlin")
    windows = selectors.availability_for(user=owner)
    cut = AvailabilityException(
        user=owner,
        date=date(2027, 1, 11),
        kind="unavailable",
        start_time=time(12),
        end_time=time(13),
    )
    result = selectors.day_intervals(date(2027, 1, 11), tz, windows, [cut])
    assert result == [
        (datetime(2027, 1, 11, 9, tzinfo=tz), datetime(2027, 1, 11, 12, tzinfo=tz)),
        (datetime(2027, 1, 11, 13, tzinfo=tz), datetime(2027, 1, 11, 17, tzinfo=tz)),
    ]


def test_institution_lookup_prefers_the_most_specific_domain() -> None:
    uni = Institution.objects.create(name="Uni", slug="uni")
    school = Institution.objects.create(name="Uni Medical School", slug="uni-med")
    InstitutionDomain.objects.create(institution=uni, domain="uni.edu")
    InstitutionDomain.objects.create(institution=school, domain="med.uni.edu")
    assert selectors.institution_for_email("a@med.uni.edu") == school
    assert selectors.institution_for_email("a@cs.uni.edu") == uni
    assert selectors.institution_for_email("a@uni.edu.evil.com") is None


def test_institutions_count_only_active_members() -> None:
    inst = Institution.objects.create(name="Counted", slug="counted")
    make_user(institution=inst)
    gone = make_user(institution=inst)
    gone.is_active = False
    gone.save()
    counts = {i.pk: i.member_count for i in selectors.institution_list_with_member_counts()}  # type: ignore[attr-defined]
    assert counts[inst.pk] == 1


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((52.5200, 13.4050), (52.5300, 13.4050), 1),  # ~1.1 km
        ((52.5200, 13.4050), (52.3906, 13.0645), 25),  # Potsdam ~27 km -> 25
        ((52.5200, 13.4050), (48.1351, 11.5820), 500),  # Munich ~504 km -> 500
    ],
)
def test_distances_are_rounded(
    a: tuple[float, float], b: tuple[float, float], expected: int
) -> None:
    p = make_user(latitude=a[0], longitude=a[1]).profile
    q = make_user(latitude=b[0], longitude=b[1]).profile
    assert selectors.rounded_distance_km(p, q) == expected


def test_access_to_a_verification_document() -> None:
    tutor = make_user()
    topic = make_subject()
    services.teaching_subject_set(actor=tutor, subject_id=topic.pk, proficiency="expert")
    request = services.verification_submit(
        actor=tutor, subject_id=topic.pk, upload=upload("a.pdf", PDF_BYTES)
    )
    assert selectors.access_verification_document(user=tutor, request_id=request.pk) == request
    assert (
        selectors.access_verification_document(user=make_moderator(), request_id=request.pk)
        == request
    )
    with pytest.raises(NotFound):
        selectors.access_verification_document(user=make_user(), request_id=request.pk)
    with pytest.raises(NotFound):
        selectors.access_verification_document(user=tutor, request_id=request.pk + 1000)


def test_the_subject_tree_serialises_without_a_query_per_node(
    django_assert_max_num_queries,
) -> None:
    with django_assert_max_num_queries(4):
        areas = selectors.subject_tree()
        total = sum(
            1 + len(s.children.all()) + sum(len(t.children.all()) for t in s.children.all())
            for a in areas
            for s in a.children.all()
        )
    assert total > 150
