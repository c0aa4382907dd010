"""Delivery over real protocols: reminders and invitations reach a real SMTP server (aiosmtpd,
started here), text reminders reach a local HTTP server speaking the Twilio-style API, and the
private ICS feed is fetched over HTTP and parsed with ``icalendar``."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qs

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.test import Client
from icalendar import Calendar, Component

from peerlearn.accounts.models import User
from peerlearn.common.task_backends import deferred_tasks, run_deferred_tasks
from peerlearn.common.testing import make_tutor, make_user
from peerlearn.notifications import services as notification_services
from peerlearn.scheduling import selectors, services
from peerlearn.scheduling.models import Booking

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # Monday
SLOT = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)  # Wednesday 10:00 UTC
LEARNER_PHONE = "+4915123456789"
SMS_SID, SMS_TOKEN = "AC0123456789", "gateway-token"


@pytest.fixture(autouse=True)
def frozen_time() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tutor() -> User:
    return make_tutor("tutor@example.org", display_name="Tara")


@pytest.fixture
def learner() -> User:
    # Seen from New York; every calendar time must still go out in UTC.
    return make_user("learner@example.org", display_name="Lee", timezone="America/New_York")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- a real SMTP server ------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """aiosmtpd handler: keeps every message it accepts."""

    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = cast(EmailMessage, message_from_bytes(raw, policy=policy.default))
        self.received.append(
            Received(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], message)
        )
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [r.message for r in self.received if address in r.recipients]


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield inbox
    finally:
        controller.stop()


def parts(message: EmailMessage) -> dict[str, EmailMessage]:
    """The leaf parts of a message by content type (the attachment by its file name)."""
    found: dict[str, EmailMessage] = {}
    for part in message.walk():
        if part.is_multipart():
            continue
        key = part.get_filename() or part.get_content_type()
        found[key] = cast(EmailMessage, part)
    return found


def invite_of(message: EmailMessage) -> tuple[EmailMessage, Calendar, Component]:
    attachment = parts(message)["invite.ics"]
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    calendar = Calendar.from_ical(payload)
    (event,) = calendar.walk("VEVENT")
    return attachment, calendar, event


def assert_utc(event: Component, name: str, expected: datetime) -> None:
    """The value is that instant, written in UTC (``...Z``), not in a local zone."""
    value: Any = event[name]
    assert event.decoded(name) == expected
    assert value.to_ical().decode().endswith("Z")
    assert "TZID" not in value.params


def sequence_of(event: Component) -> int:
    return int(event.decoded("SEQUENCE"))


def by_subject(messages: list[EmailMessage], start: str) -> list[EmailMessage]:
    return [m for m in messages if str(m["Subject"]).startswith(f"[PeerLearn] {start}")]


def confirmed_booking(tutor: User, learner: User, capture: Any, start: datetime = SLOT) -> Booking:
    """Requested and accepted, with every on-commit effect (emails, reminder tasks) run."""
    with capture(execute=True):
        booking = services.booking_request(
            actor=learner,
            tutor_id=tutor.pk,
            subject_id=tutor.teaching_subjects.get().subject_id,
            starts_at=start,
            duration_minutes=60,
            note="Dijkstra",
        )
        services.booking_accept(actor=tutor, booking_id=booking.pk)
    booking.refresh_from_db()
    return booking


def run_reminders_due(traveller: time_machine.Traveller, at: datetime, capture: Any) -> int:
    """Move the clock to ``at`` and run the reminder tasks due by then, as a worker would,
    including the deliveries they enqueue on commit."""
    traveller.move_to(at)
    with capture(execute=True):
        return run_deferred_tasks(until=at)


# --- email -------------------------------------------------------------------------------------


class TestEmailReminders:
    def test_a_reminder_arrives_by_smtp_as_html_and_text_with_the_invitation(
        self,
        smtp: Inbox,
        tutor: User,
        learner: User,
        frozen_time: time_machine.Traveller,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        booking = confirmed_booking(tutor, learner, django_capture_on_commit_callbacks)
        smtp.received.clear()  # the confirmations; reminders are what this test is about

        ran = run_reminders_due(
            frozen_time, SLOT - timedelta(hours=24), django_capture_on_commit_callbacks
        )

        assert ran == 2  # the day-before reminder of each participant
        (message,) = by_subject(smtp.to("learner@example.org"), "Reminder:")
        assert len(by_subject(smtp.to("tutor@example.org"), "Reminder:")) == 1
        assert message["Subject"] == "[PeerLearn] Reminder: Graphs with Tara tomorrow"
        found = parts(message)
        text, html = found["text/plain"].get_content(), found["text/html"].get_content()
        link = f"/sessions/{booking.pk}/"
        assert "Reminder: Graphs with Tara tomorrow" in text and link in text
        assert "<strong>Reminder: Graphs with Tara tomorrow</strong>" in html and link in html
        # The learner reads the time in their own zone (New York, 5 h behind UTC in March).
        assert "Wed 03 Mar 2027, 05:00 (America/New_York)" in text

        attachment, calendar, event = invite_of(message)
        assert attachment.get_content_type() == "text/calendar"
        assert attachment.get_param("method") == "REQUEST"  # what Outlook looks for
        assert calendar["METHOD"] == "REQUEST"
        assert str(event["UID"]) == f"{booking.uid}@peerlearn"
        assert sequence_of(event) == booking.sequence == 1
        assert_utc(event, "DTSTART", SLOT)
        assert_utc(event, "DTEND", SLOT + timedelta(hours=1))

    def test_the_hour_before_reminder_follows_and_none_is_sent_twice(
        self,
        smtp: Inbox,
        tutor: User,
        learner: User,
        frozen_time: time_machine.Traveller,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        confirmed_booking(tutor, learner, django_capture_on_commit_callbacks)
        run_reminders_due(
            frozen_time, SLOT - timedelta(hours=24), django_capture_on_commit_callbacks
        )
        run_reminders_due(
            frozen_time, SLOT - timedelta(hours=1), django_capture_on_commit_callbacks
        )
        run_reminders_due(frozen_time, SLOT, django_capture_on_commit_callbacks)

        subjects = sorted(
            str(m["Subject"]) for m in by_subject(smtp.to("learner@example.org"), "Reminder:")
        )
        assert subjects == [
            "[PeerLearn] Reminder: Graphs with Tara in 1 hour",
            "[PeerLearn] Reminder: Graphs with Tara tomorrow",
        ]
        assert deferred_tasks() == []

    def test_a_cancellation_sends_cancel_with_the_same_uid_and_a_higher_sequence(
        self,
        smtp: Inbox,
        tutor: User,
        learner: User,
        frozen_time: time_machine.Traveller,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        booking = confirmed_booking(tutor, learner, django_capture_on_commit_callbacks)
        (confirmation,) = by_subject(smtp.to("tutor@example.org"), "Confirmed:")
        _, request_calendar, request_event = invite_of(confirmation)
        assert request_calendar["METHOD"] == "REQUEST"

        with django_capture_on_commit_callbacks(execute=True):
            services.booking_cancel(actor=learner, booking_id=booking.pk, reason="Exam moved")

        (cancellation,) = by_subject(smtp.to("tutor@example.org"), "Cancelled:")
        assert "Reason: Exam moved" in parts(cancellation)["text/plain"].get_content()
        attachment, calendar, event = invite_of(cancellation)
        assert attachment.get_param("method") == "CANCEL"
        assert calendar["METHOD"] == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == str(request_event["UID"])
        assert sequence_of(event) > sequence_of(request_event)
        assert_utc(event, "DTSTART", SLOT)
        assert not by_subject(smtp.to("learner@example.org"), "Cancelled:")  # they cancelled it

        # The reminders scheduled at confirmation lapse: nothing more arrives.
        smtp.received.clear()
        run_reminders_due(frozen_time, SLOT, django_capture_on_commit_callbacks)
        assert smtp.received == []

    def test_a_reschedule_sends_a_request_with_the_new_time_and_only_new_reminders(
        self,
        smtp: Inbox,
        tutor: User,
        learner: User,
        frozen_time: time_machine.Traveller,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        booking = confirmed_booking(tutor, learner, django_capture_on_commit_callbacks)
        later = SLOT + timedelta(days=1)
        with django_capture_on_commit_callbacks(execute=True):
            proposal = services.booking_reschedule_propose(
                actor=tutor, booking_id=booking.pk, starts_at=later
            )
            services.booking_reschedule_respond(actor=learner, proposal_id=proposal.pk, accept=True)
        # The proposal itself was announced too; the move is the message saying it moved.
        (change,) = [
            m
            for m in by_subject(smtp.to("learner@example.org"), "Change to")
            if "moved to a new time" in parts(m)["text/plain"].get_content()
        ]
        _, calendar, event = invite_of(change)
        assert calendar["METHOD"] == "REQUEST" and sequence_of(event) == 2
        assert str(event["UID"]) == f"{booking.uid}@peerlearn"
        assert_utc(event, "DTSTART", later)

        smtp.received.clear()
        run_reminders_due(frozen_time, later, django_capture_on_commit_callbacks)
        reminders = by_subject(smtp.to("learner@example.org"), "Reminder:")
        assert len(reminders) == 2  # 24 h and 1 h before the new time; none for the old one
        for reminder in reminders:
            assert_utc(invite_of(reminder)[2], "DTSTART", later)


# --- SMS ---------------------------------------------------------------------------------------


class Gateway(ThreadingHTTPServer):
    """A Twilio-style SMS API on loopback that records the form of every request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.requests: list[dict[str, Any]] = []

    @property
    def backend_url(self) -> str:
        host, port = self.server_address[:2]
        return f"twilio+http://{SMS_SID}:{SMS_TOKEN}@{host!s}:{port}/?from=%2B15550001111"

    @property
    def texts(self) -> list[tuple[str, str]]:
        return [(r["form"]["To"][0], r["form"]["Body"][0]) for r in self.requests]


class GatewayHandler(BaseHTTPRequestHandler):
    server: Gateway

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append({"path": self.path, "form": parse_qs(raw.decode())})
        body = b'{"sid": "SM1", "status": "queued"}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gateway(settings: Any) -> Iterator[Gateway]:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = server.backend_url
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class TestSmsReminders:
    def test_reminders_are_texted_through_the_gateway_to_who_opted_in(
        self,
        gateway: Gateway,
        smtp: Inbox,
        tutor: User,
        learner: User,
        frozen_time: time_machine.Traveller,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        notification_services.notification_settings_update(
            actor=learner,
            phone_number="+49 151 2345 6789",
            sms_opt_in=True,
            reminder_offsets_minutes=[1440, 60],
            email_enabled=True,
        )
        booking = confirmed_booking(tutor, learner, django_capture_on_commit_callbacks)
        assert gateway.requests == []  # confirmations go by email and in-app, not by text

        run_reminders_due(
            frozen_time, SLOT - timedelta(hours=24), django_capture_on_commit_callbacks
        )
        run_reminders_due(
            frozen_time, SLOT - timedelta(hours=1), django_capture_on_commit_callbacks
        )

        # Only the learner opted in; the tutor gets their reminders by email only.
        assert [to for to, _ in gateway.texts] == [LEARNER_PHONE, LEARNER_PHONE]
        first, second = (body for _, body in gateway.texts)
        assert first.startswith("PeerLearn: Reminder: Graphs with Tara tomorrow")
        assert second.startswith("PeerLearn: Reminder: Graphs with Tara in 1 hour")
        assert "Wed 03 Mar 2027, 05:00 (America/New_York)" in first
        assert first.endswith(f"/sessions/{booking.pk}/")
        assert {r["path"] for r in gateway.requests} == {
            f"/2010-04-01/Accounts/{SMS_SID}/Messages.json"
        }
        assert len(by_subject(smtp.to("tutor@example.org"), "Reminder:")) == 2

    def test_nothing_is_texted_without_opting_in(
        self,
        gateway: Gateway,
        smtp: Inbox,
        tutor: User,
        learner: User,
        frozen_time: time_machine.Traveller,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        notification_services.notification_settings_update(
            actor=learner,
            phone_number=LEARNER_PHONE,
            sms_opt_in=False,
            reminder_offsets_minutes=[60],
            email_enabled=True,
        )
        confirmed_booking(tutor, learner, django_capture_on_commit_callbacks)
        run_reminders_due(frozen_time, SLOT, django_capture_on_commit_callbacks)
        assert gateway.requests == []
        assert len(by_subject(smtp.to("learner@example.org"), "Reminder:")) == 1


# --- the ICS feed ------------------------------------------------------------------------------


def feed_of(client: Client, user: User) -> Calendar:
    token = selectors.calendar_feed_for(user=user).token
    response = client.get(f"/sessions/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events_by_uid(calendar: Calendar) -> dict[str, Component]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


class TestCalendarFeed:
    def test_the_feed_holds_exactly_the_users_confirmed_sessions_in_utc(
        self, client: Client, tutor: User, learner: User, django_capture_on_commit_callbacks: Any
    ) -> None:
        subject_id = tutor.teaching_subjects.get().subject_id
        other_tutor = make_tutor(display_name="Otto", timezone="Europe/Berlin")
        stranger = make_user(display_name="Stranger")

        def request(who: User, whom: User, start: datetime) -> Booking:
            return services.booking_request(
                actor=who,
                tutor_id=whom.pk,
                subject_id=whom.teaching_subjects.get().subject_id,
                starts_at=start,
                duration_minutes=60,
            )

        mine = confirmed_booking(tutor, learner, django_capture_on_commit_callbacks)
        # Berlin tutor, Thursday 14:00 Berlin time = 13:00 UTC.
        abroad = request(learner, other_tutor, datetime(2027, 3, 4, 13, 0, tzinfo=UTC))
        services.booking_accept(actor=other_tutor, booking_id=abroad.pk)
        group = services.group_session_create(
            actor=tutor,
            subject_id=subject_id,
            starts_at=datetime(2027, 3, 5, 15, 0, tzinfo=UTC),
            duration_minutes=90,
            capacity=5,
            title="Graph clinic",
        )
        services.group_seat_take(actor=learner, booking_id=group.pk)

        pending = request(learner, tutor, datetime(2027, 3, 8, 9, 0, tzinfo=UTC))
        declined = request(learner, tutor, datetime(2027, 3, 9, 9, 0, tzinfo=UTC))
        services.booking_decline(actor=tutor, booking_id=declined.pk, reason="Away")
        cancelled = request(learner, tutor, datetime(2027, 3, 10, 9, 0, tzinfo=UTC))
        services.booking_accept(actor=tutor, booking_id=cancelled.pk)
        services.booking_cancel(actor=learner, booking_id=cancelled.pk, reason="Exam")
        left_group = services.group_session_create(
            actor=tutor,
            subject_id=subject_id,
            starts_at=datetime(2027, 3, 11, 15, 0, tzinfo=UTC),
            duration_minutes=60,
            capacity=5,
            title="Left",
        )
        services.group_seat_take(actor=learner, booking_id=left_group.pk)
        services.group_seat_release(actor=learner, booking_id=left_group.pk)
        someone_elses = request(stranger, tutor, datetime(2027, 3, 12, 9, 0, tzinfo=UTC))
        services.booking_accept(actor=tutor, booking_id=someone_elses.pk)

        events = events_by_uid(feed_of(client, learner))

        expected = {b.uid: b for b in (mine, abroad, group)}
        assert set(events) == {f"{uid}@peerlearn" for uid in expected}
        for uid, booking in expected.items():
            booking.refresh_from_db()
            event = events[f"{uid}@peerlearn"]
            assert_utc(event, "DTSTART", booking.starts_at)
            assert_utc(event, "DTEND", booking.ends_at)
            assert str(event["STATUS"]) == "CONFIRMED"
        assert_utc(
            events[f"{abroad.uid}@peerlearn"], "DTSTART", datetime(2027, 3, 4, 13, 0, tzinfo=UTC)
        )
        assert pending.status == Booking.Status.REQUESTED  # requested: not in anyone's feed yet

        # The tutor's feed: their confirmed sessions, whoever the learner (and the open group
        # they left open), not the learner's session with the other tutor.
        tutor_events = events_by_uid(feed_of(client, tutor))
        assert set(tutor_events) == {
            f"{b.uid}@peerlearn" for b in (mine, group, left_group, someone_elses)
        }

    def test_a_regenerated_feed_url_replaces_the_old_one(
        self, client: Client, learner: User
    ) -> None:
        old = selectors.calendar_feed_for(user=learner).token
        new = services.calendar_feed_regenerate(actor=learner).token
        assert new != old
        assert client.get(f"/sessions/calendar/{old}.ics").status_code == 404
        assert client.get(f"/sessions/calendar/{new}.ics").status_code == 200
