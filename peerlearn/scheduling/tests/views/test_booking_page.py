"""The scheduling pages, through the web. Times in the viewer's zone; booking from a tutor's
profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from peerlearn.accounts import services as account_services
from peerlearn.accounts.models import User
from peerlearn.common.testing import make_subject, make_user
from peerlearn.scheduling import forms as scheduling_forms
from peerlearn.scheduling.models import Booking
from peerlearn.scheduling.tests.views.helpers import (
    SLOT,
    _time,
    client_for,
    messages_of,
    request_booking,
    subject_of,
    token,
)

pytestmark = pytest.mark.django_db


# --- local times from forms --------------------------------------------------------------------


class TestLocalTimes:
    def test_a_wall_clock_time_becomes_an_aware_datetime_in_the_viewers_zone(self) -> None:
        aware = scheduling_forms.aware_from_local(datetime(2027, 3, 3, 11, 0), "Europe/Berlin")
        assert aware.astimezone(UTC) == datetime(2027, 3, 3, 10, 0, tzinfo=UTC)

    def test_a_time_skipped_by_daylight_saving_is_refused(self) -> None:
        field = scheduling_forms.LocalDateTimeField(tz_name="Europe/Berlin")
        with pytest.raises(scheduling_forms.forms.ValidationError) as info:
            field.clean("2027-03-28T02:30")
        assert "does not exist in Europe/Berlin" in str(info.value)

    def test_a_time_that_happens_twice_is_refused(self) -> None:
        field = scheduling_forms.LocalDateTimeField(tz_name="America/New_York")
        with pytest.raises(scheduling_forms.forms.ValidationError) as info:
            field.clean("2027-11-07T01:30")
        assert "happens twice in America/New_York" in str(info.value)

    def test_garbage_is_an_ordinary_form_error(self) -> None:
        form = scheduling_forms.ProposeTimeForm({"starts_at": "next tuesday"}, tz_name="UTC")
        assert not form.is_valid() and form.errors["starts_at"] == ["Enter a date and time."]


# --- booking from a profile ----------------------------------------------------------------------


class TestBookingPage:
    def test_it_needs_a_login(self, tutor: User) -> None:
        response = Client().get(reverse("scheduling:book", args=[tutor.pk]))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]

    def test_it_lists_free_times_grouped_by_day_in_the_viewers_zone(
        self, tutor: User, learner: User
    ) -> None:
        body = client_for(learner).get(reverse("scheduling:book", args=[tutor.pk])).content.decode()
        assert "America/New_York" in body and "Tara is in Europe/Berlin" in body
        # 12 h notice: the first slot is Tuesday 09:00 in Berlin, 03:00 in New York.
        assert 'aria-label="Tuesday 2 March, 03:00"' in body
        assert f"start={token(datetime(2027, 3, 2, 8, 0, tzinfo=UTC))}" in body
        assert 'aria-label="Monday 1 March' not in body
        assert body.index("Tuesday") < body.index("Wednesday")

    def test_days_follow_the_viewers_daylight_saving_change(
        self, tutor: User, learner: User
    ) -> None:
        url = reverse("scheduling:book", args=[tutor.pk]) + "?week=1"
        body = client_for(learner).get(url).content.decode()
        # New York moves to summer time on Sunday 14 March; Berlin two weeks later.
        assert 'aria-label="Saturday 13 March, 03:00"' in body
        assert 'aria-label="Sunday 14 March, 04:00"' in body
        assert 'aria-label="Sunday 14 March, 03:00"' not in body

    def test_the_duration_changes_which_times_fit(self, tutor: User, learner: User) -> None:
        url = reverse("scheduling:book", args=[tutor.pk])
        last_hour = f"start={token(datetime(2027, 3, 2, 15, 0, tzinfo=UTC))}"  # 16:00 Berlin
        client = client_for(learner)
        assert last_hour in client.get(url, {"duration": 60}).content.decode()
        assert last_hour not in client.get(url, {"duration": 90}).content.decode()

    def test_an_htmx_request_gets_only_the_slot_panel(self, tutor: User, learner: User) -> None:
        response = client_for(learner).get(
            reverse("scheduling:book", args=[tutor.pk]),
            {"duration": 30, "subject": subject_of(tutor)},
            headers={"HX-Request": "true"},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert body.lstrip().startswith('<div id="booking-panel"') and "<html" not in body
        assert "HX-Request" in response["Vary"]

    def test_a_history_restore_gets_the_whole_page(self, tutor: User, learner: User) -> None:
        response = client_for(learner).get(
            reverse("scheduling:book", args=[tutor.pk]),
            headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
        )
        assert "<html" in response.content.decode()

    def test_both_free_intersects_with_the_learners_hours(self, tutor: User, learner: User) -> None:
        url = reverse("scheduling:book", args=[tutor.pk])
        client = client_for(learner)
        assert "suits you both" in client.get(url, {"both": "on"}).content.decode()
        account_services.availability_replace(
            actor=learner,
            user=learner,
            windows=[account_services.WindowInput(1, *map(_time, ("05:00", "07:00")))],
        )
        body = client.get(url, {"both": "on"}).content.decode()
        # Tuesday 05:00-07:00 New York = 11:00-13:00 Berlin: two one-hour starts, none later.
        assert 'aria-label="Tuesday 2 March, 05:00"' in body
        assert 'aria-label="Tuesday 2 March, 06:00"' in body
        assert 'aria-label="Tuesday 2 March, 03:00"' not in body

    def test_a_garbled_query_falls_back_to_defaults(self, tutor: User, learner: User) -> None:
        response = client_for(learner).get(
            reverse("scheduling:book", args=[tutor.pk]),
            {
                "subject": "x",
                "duration": "17",
                "week": "-3",
                "both": "maybe",
                "start": "2027-03-03",
            },
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert 'value="60" checked' in body and "Request this time" not in body

    def test_picking_a_slot_shows_the_confirm_form_in_both_zones(
        self, tutor: User, learner: User
    ) -> None:
        url = reverse("scheduling:book", args=[tutor.pk]) + f"?duration=60&start={token(SLOT)}"
        body = client_for(learner).get(url).content.decode()
        assert "Request this time" in body
        assert "Wednesday 3 March 2027, 05:00–06:00" in body
        assert "for them it is Wed 3 Mar, 11:00 (Europe/Berlin)" in body
        assert f'value="{scheduling_forms.slot_token(SLOT)}"' in body

    def test_a_slot_taken_meanwhile_is_reported_instead_of_confirmed(
        self, tutor: User, learner: User
    ) -> None:
        request_booking(tutor, make_user())
        url = reverse("scheduling:book", args=[tutor.pk]) + f"?start={token(SLOT)}"
        body = client_for(learner).get(url).content.decode()
        assert "has just been taken" in body and "Request this time" not in body

    def test_sending_the_request_books_and_opens_the_session(
        self, tutor: User, learner: User
    ) -> None:
        response = client_for(learner).post(
            reverse("scheduling:book", args=[tutor.pk]),
            {
                "subject": subject_of(tutor),
                "duration": 60,
                "start": scheduling_forms.slot_token(SLOT),
                "note": "Dijkstra please",
            },
        )
        booking = Booking.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("scheduling:detail", args=[booking.pk])
        assert booking.starts_at == SLOT and booking.note == "Dijkstra please"
        assert booking.status == Booking.Status.REQUESTED
        assert "Request sent to Tara" in messages_of(response)[0]

    def test_losing_a_race_is_a_409_with_a_message_and_fresh_times(
        self, tutor: User, learner: User
    ) -> None:
        request_booking(tutor, make_user())  # someone else was faster
        response = client_for(learner).post(
            reverse("scheduling:book", args=[tutor.pk]),
            {
                "subject": subject_of(tutor),
                "duration": 60,
                "start": scheduling_forms.slot_token(SLOT),
            },
        )
        body = response.content.decode()
        assert response.status_code == 409
        assert "pick another" in body and 'id="booking-panel"' in body
        assert f"start={token(SLOT)}" not in body  # the taken slot is gone from the list
        assert Booking.objects.count() == 1

    def test_a_doctored_slot_is_a_form_error_not_a_500(self, tutor: User, learner: User) -> None:
        client = client_for(learner)
        url = reverse("scheduling:book", args=[tutor.pk])
        bad = client.post(url, {"subject": subject_of(tutor), "duration": 60, "start": "soon"})
        assert bad.status_code == 200 and "Pick a time from the list." in bad.content.decode()
        foreign = client.post(
            url, {"subject": make_subject("Other").pk, "duration": 45, "start": "2027-03-03T10:00Z"}
        )
        assert foreign.status_code == 200 and "errorlist" in foreign.content.decode()
        assert not Booking.objects.exists()

    def test_a_weekly_series_reports_each_occurrence(self, tutor: User, learner: User) -> None:
        request_booking(tutor, make_user(), SLOT + timedelta(weeks=1))  # week 2 is taken
        response = client_for(learner).post(
            reverse("scheduling:book", args=[tutor.pk]),
            {
                "subject": subject_of(tutor),
                "duration": 60,
                "start": scheduling_forms.slot_token(SLOT),
                "weekly": "on",
                "occurrences": 3,
            },
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "2 of 3 requested, 1 not possible" in body
        assert body.count("status-requested") == 2 and body.count("Not booked") == 1
        assert "That time is not bookable" in body
        assert Booking.objects.filter(created_by=learner).count() == 2

    def test_a_series_needs_a_number_of_weeks(self, tutor: User, learner: User) -> None:
        response = client_for(learner).post(
            reverse("scheduling:book", args=[tutor.pk]),
            {
                "subject": subject_of(tutor),
                "duration": 60,
                "start": scheduling_forms.slot_token(SLOT),
                "weekly": "on",
                "occurrences": "",
            },
        )
        assert "How many weekly sessions?" in response.content.decode()
        assert not Booking.objects.exists()

    def test_nobody_books_themselves_or_someone_who_teaches_nothing(self, tutor: User) -> None:
        assert "your own booking page" in (
            client_for(tutor).get(reverse("scheduling:book", args=[tutor.pk])).content.decode()
        )
        person = make_user(display_name="Nate")
        body = client_for(tutor).get(reverse("scheduling:book", args=[person.pk])).content.decode()
        assert "Nate does not teach any subject yet" in body
        assert client_for(tutor).get(reverse("scheduling:book", args=[99999])).status_code == 404
