"""The scheduling pages, through the web: booking from a profile, My sessions, a session's page
and every action on it, group sessions, the calendar settings, and the profile's booking card."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from peerlearn.accounts import services as account_services
from peerlearn.accounts.models import User
from peerlearn.common.testing import make_subject, make_tutor, make_user
from peerlearn.scheduling import forms as scheduling_forms
from peerlearn.scheduling import selectors, services
from peerlearn.scheduling.models import Booking, CalendarFeed, RescheduleProposal, TutorPolicy

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday; Berlin is UTC+1, New York UTC-5
SLOT = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # Wednesday: 11:00 in Berlin, 05:00 in New York


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tutor() -> User:
    return make_tutor("tutor@example.org", timezone="Europe/Berlin", display_name="Tara")


@pytest.fixture
def learner() -> User:
    return make_user("learner@example.org", timezone="America/New_York", display_name="Lee")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def subject_of(tutor: User) -> int:
    return tutor.teaching_subjects.get().subject_id


def request_booking(
    tutor: User, learner: User, start: datetime = SLOT, minutes: int = 60, note: str = ""
) -> Booking:
    return services.booking_request(
        actor=learner,
        tutor_id=tutor.pk,
        subject_id=subject_of(tutor),
        starts_at=start,
        duration_minutes=minutes,
        note=note,
    )


def confirmed(tutor: User, learner: User, start: datetime = SLOT) -> Booking:
    booking = request_booking(tutor, learner, start)
    return services.booking_accept(actor=tutor, booking_id=booking.pk)


def token(moment: datetime) -> str:
    return quote(scheduling_forms.slot_token(moment))


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def act(client: Client, booking: Booking, action: str, **data: Any) -> Any:
    return client.post(reverse("scheduling:action", args=[booking.pk, action]), data)


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


def _time(text: str) -> time:
    return time.fromisoformat(text)


# --- My sessions ---------------------------------------------------------------------------------


class TestMySessions:
    def test_each_side_sees_the_session_in_their_own_zone(self, tutor: User, learner: User) -> None:
        confirmed(tutor, learner)
        url = reverse("scheduling:my_sessions")
        mine = client_for(learner).get(url).content.decode()
        theirs = client_for(tutor).get(url).content.decode()
        assert "Wed 3 Mar 2027, 05:00–06:00" in mine and "Tara" in mine
        assert "Wed 3 Mar 2027, 11:00–12:00" in theirs and "Lee" in theirs

    def test_requests_are_split_by_direction(self, tutor: User, learner: User) -> None:
        request_booking(tutor, learner, note="Graphs!")
        url = reverse("scheduling:my_sessions")
        incoming = client_for(tutor).get(url, {"tab": "incoming"}).content.decode()
        outgoing = client_for(learner).get(url, {"tab": "outgoing"}).content.decode()
        assert (
            "“Graphs!”" in incoming
            and ">Accept<" in incoming
            and "Propose another time" in incoming
        )
        assert "Withdraw" in outgoing and ">Accept<" not in outgoing
        assert "Nobody is waiting for your answer." in (
            client_for(learner).get(url, {"tab": "incoming"}).content.decode()
        )

    @pytest.mark.parametrize(
        ("tab", "text"),
        [
            ("upcoming", "No confirmed sessions coming up."),
            ("incoming", "Nobody is waiting for your answer."),
            ("outgoing", "You have no requests waiting for an answer."),
            ("past", "Sessions you have had will be listed here."),
            ("cancelled", "Nothing cancelled or declined."),
            ("nonsense", "No confirmed sessions coming up."),
        ],
    )
    def test_every_tab_has_an_empty_state(self, learner: User, tab: str, text: str) -> None:
        response = client_for(learner).get(reverse("scheduling:my_sessions"), {"tab": tab})
        assert response.status_code == 200 and text in response.content.decode()

    def test_past_and_cancelled_sessions_have_their_tabs(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        done = confirmed(tutor, learner)
        gone = request_booking(tutor, learner, SLOT + timedelta(days=1))
        services.booking_cancel(actor=learner, booking_id=gone.pk, reason="Exam moved")
        frozen_time.move_to(SLOT + timedelta(hours=2))
        client = client_for(learner)
        past = client.get(reverse("scheduling:my_sessions"), {"tab": "past"}).content.decode()
        assert f"session-{done.pk}" in past and "Mark completed" in past
        cancelled = client.get(reverse("scheduling:my_sessions"), {"tab": "cancelled"})
        assert f"session-{gone.pk}" in cancelled.content.decode()

    def test_long_lists_are_paginated(self, tutor: User, learner: User) -> None:
        for day in range(16):
            request_booking(tutor, learner, SLOT + timedelta(days=day))
        url = reverse("scheduling:my_sessions")
        first = client_for(learner).get(url, {"tab": "outgoing"}).content.decode()
        assert "Page 1 of 2" in first and "?tab=outgoing&amp;page=2" in first
        second = client_for(learner).get(url, {"tab": "outgoing", "page": "2"}).content.decode()
        assert second.count('class="session"') == 1


# --- a session's page -----------------------------------------------------------------------------


class TestDetail:
    def test_it_shows_the_session_its_history_and_the_other_sides_time(
        self, tutor: User, learner: User
    ) -> None:
        booking = request_booking(tutor, learner, note="Bring questions")
        services.booking_decline(actor=tutor, booking_id=booking.pk, reason="Away that week")
        body = (
            client_for(learner)
            .get(reverse("scheduling:detail", args=[booking.pk]))
            .content.decode()
        )
        assert "Bring questions" in body and "Declined" in body
        assert "<strong>You</strong> asked for the session" in body
        assert "<strong>Tara</strong> declined" in body and "“Away that week”" in body
        assert "For Tara" in body and "Wed 3 Mar, 11:00" in body
        assert reverse("scheduling:ics", args=[booking.pk]) in body
        assert "Nothing to do: this session is declined." in body

    def test_a_pending_reschedule_is_shown_to_both(self, tutor: User, learner: User) -> None:
        booking = confirmed(tutor, learner)
        services.booking_reschedule_propose(
            actor=learner, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
        )
        url = reverse("scheduling:detail", args=[booking.pk])
        theirs = client_for(tutor).get(url).content.decode()
        mine = client_for(learner).get(url).content.decode()
        assert "Proposed new time" in theirs and "Thursday 4 March 2027, 11:00–12:00" in theirs
        assert "Move to the new time" in theirs
        assert "Until the other side agrees" in mine and "Move to the new time" not in mine

    def test_the_ics_download_is_an_invitation_for_participants_only(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)
        url = reverse("scheduling:ics", args=[booking.pk])
        response = client_for(learner).get(url)
        assert response["Content-Type"].startswith("text/calendar")
        assert response["Content-Disposition"].startswith("attachment;")
        calendar = Calendar.from_ical(response.content)
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert event["UID"] == f"{booking.uid}@peerlearn"
        assert event.decoded("DTSTART") == SLOT
        assert client_for(make_user()).get(url).status_code == 404

    def test_a_cancelled_sessions_ics_cancels(self, tutor: User, learner: User) -> None:
        booking = confirmed(tutor, learner)
        services.booking_cancel(actor=tutor, booking_id=booking.pk, reason="Ill")
        response = client_for(learner).get(reverse("scheduling:ics", args=[booking.pk]))
        assert Calendar.from_ical(response.content)["METHOD"] == "CANCEL"

    def test_strangers_get_404_everywhere(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        stranger = client_for(make_user())
        assert stranger.get(reverse("scheduling:detail", args=[booking.pk])).status_code == 404
        assert stranger.get(reverse("scheduling:ics", args=[booking.pk])).status_code == 404
        for action in ("accept", "decline", "cancel", "counter", "complete", "no_show"):
            assert act(stranger, booking, action, reason="x").status_code == 404
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REQUESTED

    def test_anonymous_visitors_are_sent_to_log_in(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        for url in (
            reverse("scheduling:my_sessions"),
            reverse("scheduling:detail", args=[booking.pk]),
            reverse("scheduling:ics", args=[booking.pk]),
            reverse("scheduling:groups"),
            reverse("scheduling:settings"),
        ):
            response = Client().get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- actions ---------------------------------------------------------------------------------


class TestActions:
    def test_the_tutor_accepts(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(tutor), booking, "accept")
        assert response.status_code == 302
        assert response["Location"] == reverse("scheduling:detail", args=[booking.pk])
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CONFIRMED
        assert "Confirmed" in messages_of(response)[0]

    def test_the_learner_cannot_accept_their_own_request(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(learner), booking, "accept")
        assert messages_of(response) == ["Only the tutor can accept this request."]
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REQUESTED

    def test_declining_needs_a_reason(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        client = client_for(tutor)
        assert messages_of(act(client, booking, "decline", reason="  ")) == [
            "Reason: This field is required."
        ]
        act(client, booking, "decline", reason="Fully booked")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.DECLINED
        assert booking.events.last().reason == "Fully booked"  # type: ignore[union-attr]

    def test_a_counter_proposal_is_read_in_the_tutors_zone_and_accepted(
        self, tutor: User, learner: User
    ) -> None:
        booking = request_booking(tutor, learner)
        act(client_for(tutor), booking, "counter", starts_at="2027-03-04T14:00", note="Thursday?")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.COUNTERED
        assert booking.starts_at == datetime(2027, 3, 4, 13, 0, tzinfo=UTC)  # 14:00 Berlin
        outgoing = client_for(learner).get(reverse("scheduling:my_sessions"), {"tab": "outgoing"})
        assert "Tara proposed this new time." in outgoing.content.decode()
        act(client_for(learner), booking, "counter_accept")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CONFIRMED

    def test_a_counter_proposal_can_be_declined(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        services.booking_counter(
            actor=tutor, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
        )
        act(client_for(learner), booking, "decline", reason="Too late for me")
        booking.refresh_from_db()
        assert booking.status == Booking.Status.DECLINED

    def test_a_counter_at_a_time_skipped_by_daylight_saving_is_explained(
        self, tutor: User, learner: User
    ) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(tutor), booking, "counter", starts_at="2027-03-28T02:30")
        assert "does not exist in Europe/Berlin" in messages_of(response)[0]
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REQUESTED

    def test_a_counter_outside_availability_is_refused_with_the_services_words(
        self, tutor: User, learner: User
    ) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(tutor), booking, "counter", starts_at="2027-03-04T23:00")
        assert "That time is not bookable" in messages_of(response)[0]

    def test_reschedule_is_proposed_and_accepted_by_the_other_side(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)
        act(client_for(learner), booking, "reschedule", starts_at="2027-03-04T05:00")  # New York
        proposal = RescheduleProposal.objects.get()
        assert proposal.starts_at == datetime(2027, 3, 4, 10, 0, tzinfo=UTC)
        booking.refresh_from_db()
        assert booking.starts_at == SLOT  # the original stands until the tutor agrees
        act(client_for(tutor), booking, "respond_reschedule", proposal=proposal.pk, answer="accept")
        booking.refresh_from_db()
        assert booking.starts_at == proposal.starts_at

    def test_a_reschedule_can_be_declined_and_the_proposer_cannot_answer(
        self, tutor: User, learner: User
    ) -> None:
        booking = confirmed(tutor, learner)
        proposal = services.booking_reschedule_propose(
            actor=tutor, booking_id=booking.pk, starts_at=SLOT + timedelta(days=1)
        )
        own = act(
            client_for(tutor), booking, "respond_reschedule", proposal=proposal.pk, answer="accept"
        )
        assert messages_of(own) == ["The other side has to answer your proposal."]
        act(
            client_for(learner),
            booking,
            "respond_reschedule",
            proposal=proposal.pk,
            answer="decline",
        )
        proposal.refresh_from_db()
        booking.refresh_from_db()
        assert proposal.status == RescheduleProposal.Status.DECLINED and booking.starts_at == SLOT

    def test_cancelling_inside_the_cut_off_is_late(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        booking = confirmed(tutor, learner)
        frozen_time.move_to(SLOT - timedelta(hours=2))
        response = act(client_for(learner), booking, "cancel", reason="Overslept")
        assert "late cancellation" in messages_of(response)[0]
        booking.refresh_from_db()
        assert booking.status == Booking.Status.CANCELLED and booking.cancelled_late

    def test_a_learner_withdraws_a_request(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        response = act(client_for(learner), booking, "cancel", reason="Found the answer")
        assert messages_of(response) == ["Request withdrawn."]

    def test_completion_and_no_show_come_after_the_end(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        booking = confirmed(tutor, learner)
        early = act(client_for(learner), booking, "complete")
        assert "after it ends" in messages_of(early)[0]
        frozen_time.move_to(SLOT + timedelta(hours=2))
        act(client_for(tutor), booking, "no_show", absent_user=learner.pk)
        booking.refresh_from_db()
        assert booking.status == Booking.Status.NO_SHOW and booking.no_show_user_id == learner.pk
        other = confirmed(tutor, learner, SLOT + timedelta(days=1))
        frozen_time.move_to(SLOT + timedelta(days=1, hours=2))
        act(client_for(learner), other, "complete")
        other.refresh_from_db()
        assert other.status == Booking.Status.COMPLETED

    def test_a_no_show_must_name_the_other_side(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        booking = confirmed(tutor, learner)
        frozen_time.move_to(SLOT + timedelta(hours=2))
        response = act(client_for(tutor), booking, "no_show", absent_user=tutor.pk)
        assert messages_of(response) == ["Pick the other participant."]
        assert "Who did not come" in messages_of(act(client_for(tutor), booking, "no_show"))[0]

    def test_it_returns_to_a_safe_next_page_only(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        client = client_for(tutor)
        back = act(client, booking, "accept", next="/sessions/?tab=incoming")
        assert back["Location"] == "/sessions/?tab=incoming"
        other = request_booking(tutor, learner, SLOT + timedelta(days=1))
        evil = act(client, other, "accept", next="https://evil.example/")
        assert evil["Location"] == reverse("scheduling:detail", args=[other.pk])

    def test_unknown_actions_and_gets_are_refused(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        client = client_for(tutor)
        assert act(client, booking, "explode").status_code == 404
        assert (
            client.get(reverse("scheduling:action", args=[booking.pk, "accept"])).status_code == 405
        )

    def test_csrf_is_enforced(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        client = Client(enforce_csrf_checks=True)
        client.force_login(tutor)
        assert act(client, booking, "accept").status_code == 403
        response = client.post(
            reverse("scheduling:book", args=[tutor.pk]), {"start": "2027-03-03T10:00Z"}
        )
        assert response.status_code == 403
        booking.refresh_from_db()
        assert booking.status == Booking.Status.REQUESTED


# --- group sessions ------------------------------------------------------------------------------


class TestGroups:
    @pytest.fixture
    def group(self, tutor: User) -> Booking:
        return services.group_session_create(
            actor=tutor,
            subject_id=subject_of(tutor),
            starts_at=SLOT,
            duration_minutes=90,
            capacity=2,
            title="Exam prep",
        )

    def test_open_sessions_are_listed_with_seats_left(self, group: Booking, learner: User) -> None:
        body = client_for(learner).get(reverse("scheduling:groups")).content.decode()
        assert "Exam prep" in body and "2 seats left" in body and "Take a seat" in body
        assert "Offer a group session" not in body  # learners teach nothing

    def test_a_tutor_offers_one_at_a_local_time(self, tutor: User) -> None:
        response = client_for(tutor).post(
            reverse("scheduling:groups"),
            {
                "title": "Graph night",
                "subject": subject_of(tutor),
                "starts_at": "2027-03-10T18:00",
                "duration": 60,
                "capacity": 8,
            },
        )
        booking = Booking.objects.get(title="Graph night")
        assert response["Location"] == reverse("scheduling:detail", args=[booking.pk])
        assert booking.starts_at == datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
        assert booking.capacity == 8 and booking.kind == Booking.Kind.GROUP

    def test_a_bad_offer_is_shown_on_the_form(self, tutor: User) -> None:
        client = client_for(tutor)
        data = {"subject": subject_of(tutor), "duration": 60, "capacity": 8}
        past = client.post(reverse("scheduling:groups"), {**data, "starts_at": "2027-02-01T10:00"})
        assert "Pick a time in the future." in past.content.decode()
        gap = client.post(reverse("scheduling:groups"), {**data, "starts_at": "2027-03-28T02:15"})
        assert "does not exist in Europe/Berlin" in gap.content.decode()
        too_big = client.post(
            reverse("scheduling:groups"), {**data, "starts_at": "2027-03-10T18:00", "capacity": 99}
        )
        assert too_big.status_code == 200 and "errorlist" in too_big.content.decode()
        assert not Booking.objects.exists()

    def test_someone_who_teaches_nothing_cannot_offer_one(self, learner: User) -> None:
        response = client_for(learner).post(
            reverse("scheduling:groups"),
            {"subject": 1, "starts_at": "2027-03-10T18:00", "duration": 60, "capacity": 8},
        )
        assert (
            response.status_code == 200 and "Offer a group session" not in response.content.decode()
        )
        assert not Booking.objects.exists()

    def test_learners_take_seats_until_full_and_can_leave(
        self, group: Booking, learner: User
    ) -> None:
        client = client_for(learner)
        joined = client.post(reverse("scheduling:group_join", args=[group.pk]))
        assert joined["Location"] == reverse("scheduling:detail", args=[group.pk])
        assert selectors.seats_taken(group) == 1
        assert "You have a seat" in client.get(reverse("scheduling:groups")).content.decode()
        client_for(make_user()).post(reverse("scheduling:group_join", args=[group.pk]))
        late = client_for(make_user()).post(reverse("scheduling:group_join", args=[group.pk]))
        assert messages_of(late) == ["This group session is full."]
        client.post(reverse("scheduling:group_leave", args=[group.pk]))
        assert selectors.seats_taken(group) == 1
        again = client.post(reverse("scheduling:group_leave", args=[group.pk]))
        assert again.status_code == 404

    def test_a_seat_holder_gives_up_the_seat_from_the_session_page(
        self, group: Booking, learner: User
    ) -> None:
        services.group_seat_take(actor=learner, booking_id=group.pk)
        body = (
            client_for(learner).get(reverse("scheduling:detail", args=[group.pk])).content.decode()
        )
        assert "Give up my seat" in body and "Reschedule" not in body
        act(client_for(learner), group, "leave")
        assert selectors.seats_taken(group) == 0
        after = client_for(learner).get(reverse("scheduling:detail", args=[group.pk]))
        assert "You gave up your seat" in after.content.decode()

    def test_joining_a_one_to_one_session_is_404(self, tutor: User, learner: User) -> None:
        booking = request_booking(tutor, learner)
        response = client_for(make_user()).post(reverse("scheduling:group_join", args=[booking.pk]))
        assert response.status_code == 404


# --- settings -------------------------------------------------------------------------------------


class TestSettings:
    def test_the_feed_address_is_shown_in_full_with_a_webcal_variant(
        self, learner: User, settings: Any
    ) -> None:
        settings.SITE_URL = "https://peerlearn.example"
        body = client_for(learner).get(reverse("scheduling:settings")).content.decode()
        token = CalendarFeed.objects.get(user=learner).token
        assert f"https://peerlearn.example/sessions/calendar/{token}.ics" in body
        assert f"webcal://peerlearn.example/sessions/calendar/{token}.ics" in body
        assert "Google Calendar" in body and "Outlook" in body and "Apple Calendar" in body
        assert "These apply once you teach something." in body

    def test_regenerating_revokes_the_old_address(self, tutor: User, learner: User) -> None:
        confirmed(tutor, learner)
        old = selectors.calendar_feed_for(user=learner).token
        assert Client().get(reverse("scheduling:feed", args=[old])).status_code == 200
        response = client_for(learner).post(
            reverse("scheduling:settings"), {"action": "regenerate"}
        )
        assert response.status_code == 302
        new = CalendarFeed.objects.get(user=learner).token
        assert new != old
        assert Client().get(reverse("scheduling:feed", args=[old])).status_code == 404
        feed = Client().get(reverse("scheduling:feed", args=[new]))
        assert len(Calendar.from_ical(feed.content).walk("VEVENT")) == 1

    def test_a_tutor_saves_their_booking_rules(self, tutor: User) -> None:
        data = {
            "action": "policy",
            "buffer_before_minutes": 5,
            "buffer_after_minutes": 15,
            "min_notice_hours": 24,
            "max_sessions_per_day": 3,
            "horizon_weeks": 4,
        }
        response = client_for(tutor).post(reverse("scheduling:settings"), data)
        assert response.status_code == 302
        policy = TutorPolicy.objects.get(user=tutor)
        assert (policy.buffer_before_minutes, policy.min_notice_hours, policy.horizon_weeks) == (
            5,
            24,
            4,
        )

    def test_out_of_range_rules_are_form_errors(self, tutor: User) -> None:
        response = client_for(tutor).post(
            reverse("scheduling:settings"),
            {
                "action": "policy",
                "buffer_before_minutes": 500,
                "buffer_after_minutes": 0,
                "min_notice_hours": 1,
                "max_sessions_per_day": 1,
                "horizon_weeks": 1,
            },
        )
        assert response.status_code == 200
        assert "Ensure this value is less than or equal to 120." in response.content.decode()
        assert not TutorPolicy.objects.exists()


# --- the public profile's booking card ---------------------------------------------------------


class TestProfileCard:
    def test_a_tutors_profile_offers_booking_and_shows_reliability(
        self, tutor: User, learner: User, frozen_time: time_machine.Traveller
    ) -> None:
        kept = confirmed(tutor, learner)
        slipped = confirmed(tutor, learner, SLOT + timedelta(days=1))
        frozen_time.move_to(SLOT + timedelta(days=1, hours=-1))
        services.booking_cancel(actor=tutor, booking_id=slipped.pk, reason="Sorry")
        services.booking_complete(actor=tutor, booking_id=kept.pk)
        body = (
            client_for(learner).get(reverse("accounts:profile", args=[tutor.pk])).content.decode()
        )
        assert reverse("scheduling:book", args=[tutor.pk]) in body and "Book a session" in body
        # (2 - 1 + 5) / (2 + 5) = 86%
        assert re.search(r"86%</span>.*2 sessions, 1 late cancellation, 0 no-shows", body, re.S)

    def test_no_button_on_your_own_profile_or_for_non_tutors(
        self, tutor: User, learner: User
    ) -> None:
        own = client_for(tutor).get(reverse("accounts:profile", args=[tutor.pk])).content.decode()
        assert "Book a session" not in own and "no sessions yet" in own
        plain = client_for(tutor).get(reverse("accounts:profile", args=[learner.pk]))
        assert "Reliability" not in plain.content.decode()

    def test_anonymous_visitors_see_the_button(self, tutor: User) -> None:
        body = Client().get(reverse("accounts:profile", args=[tutor.pk])).content.decode()
        assert "Book a session" in body
