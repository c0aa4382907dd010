"""The room pages through the web: joining from a booking, the live room and the record, sharing
and downloading files, and the ICE-servers endpoint with its TURN credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from peerlearn.common.testing import PDF_BYTES, make_tutor, make_user, png_bytes, upload
from peerlearn.live import events, services
from peerlearn.live.models import ChatMessage, Room, RoomFile, WhiteboardStroke
from peerlearn.live.selectors import notes, room_for_booking
from peerlearn.scheduling.models import Booking, TimeClaim

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def tutor():
    return make_tutor("tutor@example.org", display_name="Tara")


@pytest.fixture
def learner():
    return make_user("learner@example.org", display_name="Lee")


@pytest.fixture
def stranger():
    return make_user("stranger@example.org", display_name="Sam")


def booking_at(tutor, learner, start: datetime, status: str = Booking.Status.CONFIRMED) -> Booking:
    end = start + timedelta(hours=1)
    booking = Booking.objects.create(
        tutor=tutor,
        subject=tutor.teaching_subjects.get().subject,
        starts_at=start,
        ends_at=end,
        status=status,
        created_by=learner,
    )
    TimeClaim.objects.create(
        booking=booking, user=tutor, role=TimeClaim.Role.TUTOR, starts_at=start, ends_at=end
    )
    TimeClaim.objects.create(
        booking=booking, user=learner, role=TimeClaim.Role.LEARNER, starts_at=start, ends_at=end
    )
    return booking


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def join_url(booking: Booking) -> str:
    return reverse("live:join", args=[booking.pk])


def room_url(room: Room) -> str:
    return reverse("live:room", args=[room.pk])


class TestJoin:
    @pytest.mark.parametrize(
        "starts_in", [timedelta(minutes=10), timedelta(0), timedelta(minutes=-89)]
    )
    def test_a_participant_inside_the_window_lands_in_the_room(
        self, tutor, learner, starts_in
    ) -> None:
        booking = booking_at(tutor, learner, NOW + starts_in)
        for person in (tutor, learner):
            response = client_for(person).get(join_url(booking))
            room = Room.objects.get(booking=booking)
            assert response.status_code == 302
            assert response["Location"] == room_url(room)
        assert Room.objects.count() == 1

    @pytest.mark.parametrize(
        ("starts_in", "status"),
        [
            (timedelta(minutes=11), Booking.Status.CONFIRMED),  # the room opens 10 minutes before
            (
                timedelta(minutes=-91),
                Booking.Status.CONFIRMED,
            ),  # and closes 30 minutes after the end
            (timedelta(minutes=5), Booking.Status.REQUESTED),  # not confirmed yet
            (timedelta(minutes=5), Booking.Status.CANCELLED),
        ],
    )
    def test_outside_the_window_goes_back_to_the_booking_with_a_message(
        self, tutor, learner, starts_in, status
    ) -> None:
        booking = booking_at(tutor, learner, NOW + starts_in, status=status)
        response = client_for(learner).get(join_url(booking))
        assert response.status_code == 302
        assert response["Location"] == reverse("scheduling:detail", args=[booking.pk])
        (message,) = get_messages(response.wsgi_request)
        assert message.level_tag == "error"
        assert "open" in message.message or "confirmed" in message.message

    def test_a_stranger_gets_404_and_anonymous_people_sign_in_first(
        self, tutor, learner, stranger
    ) -> None:
        booking = booking_at(tutor, learner, NOW + timedelta(minutes=5))
        assert client_for(stranger).get(join_url(booking)).status_code == 404
        response = Client().get(join_url(booking))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


class TestRoomPage:
    def test_inside_the_window_it_is_the_live_room(self, tutor, learner) -> None:
        booking = booking_at(tutor, learner, NOW + timedelta(minutes=5))
        room = room_for_booking(booking=booking)
        services.chat_post(actor=tutor, room=room, body="Hello **there**")
        services.stroke_add(
            actor=learner, room=room, data={"points": [[0.1, 0.2], [0.3, 0.4]], "color": "#dc2626"}
        )
        response = client_for(learner).get(room_url(room))
        assert response.status_code == 200
        assert response.templates[0].name == "live/room.html"
        html = response.content.decode()
        last = ChatMessage.objects.get()
        assert f'data-room-id="{room.pk}"' in html
        assert f'data-last-chat-id="{last.pk}"' in html
        assert "<strong>there</strong>" in html  # the stored, sanitized HTML
        assert 'id="wb-strokes"' in html and "#dc2626" in html
        assert 'type="module" src="/static/js/room/room.js"' in html
        assert 'id="tab-chat"' in html and 'id="tab-board"' in html
        assert 'id="tab-notes"' in html and 'id="tab-files"' in html
        assert 'style="' not in html  # the CSP forbids inline styles
        assert "<script>" not in html

    def test_after_the_window_it_is_the_record(self, tutor, learner) -> None:
        booking = booking_at(tutor, learner, NOW - timedelta(hours=3))
        room = room_for_booking(booking=booking)
        services.chat_post(actor=tutor, room=room, body="See you next week")
        services.stroke_add(actor=learner, room=room, data={"points": [[0.5, 0.5]]})
        shared = notes(room=room)
        shared.text, shared.version = "Relax every edge.", 1
        shared.save()
        item = RoomFile.objects.create(
            room=room,
            uploader=learner,
            original_name="graph.pdf",
            content_type="application/pdf",
            size=118,
        )
        item.file.save("x.pdf", upload("x.pdf", PDF_BYTES), save=True)
        response = client_for(tutor).get(room_url(room))
        assert response.status_code == 200
        assert response.templates[0].name == "live/record.html"
        html = response.content.decode()
        assert "Session record" in html and "Chat transcript" in html
        assert "See you next week" in html and "Relax every edge." in html
        assert reverse("live:file", args=[item.pk]) in html and "graph.pdf" in html
        assert 'id="board"' in html and 'src="/static/js/room/record.js"' in html
        assert 'style="' not in html

    def test_before_the_window_the_record_says_when_it_opens(self, tutor, learner) -> None:
        booking = booking_at(tutor, learner, NOW + timedelta(hours=2))
        room = room_for_booking(booking=booking)
        response = client_for(tutor).get(room_url(room))
        assert response.templates[0].name == "live/record.html"
        html = response.content.decode()
        assert "The room opens at 11:50" in html
        assert "Nothing was written in the chat." in html
        assert "The whiteboard was left empty." in html

    def test_strangers_get_404(self, tutor, learner, stranger) -> None:
        room = room_for_booking(booking=booking_at(tutor, learner, NOW))
        assert client_for(stranger).get(room_url(room)).status_code == 404
        assert (
            client_for(stranger).get(reverse("live:room", args=[room.pk + 1000])).status_code == 404
        )


class TestFiles:
    def upload_url(self, room: Room) -> str:
        return reverse("live:upload", args=[room.pk])

    def test_a_bad_type_is_refused_with_a_json_error(self, tutor, learner) -> None:
        room = room_for_booking(booking=booking_at(tutor, learner, NOW))
        response = client_for(learner).post(
            self.upload_url(room),
            {"file": upload("notes.pdf", b"#!/bin/sh\necho not a pdf\n", "application/pdf")},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "file_type"
        assert not RoomFile.objects.exists() and not ChatMessage.objects.exists()

    def test_a_missing_file_is_refused(self, tutor, learner) -> None:
        room = room_for_booking(booking=booking_at(tutor, learner, NOW))
        response = client_for(learner).post(self.upload_url(room), {})
        assert response.status_code == 400 and response.json()["error"]["code"] == "required"

    def test_a_good_file_is_stored_and_announced_in_the_chat(
        self, tutor, learner, django_capture_on_commit_callbacks
    ) -> None:
        room = room_for_booking(booking=booking_at(tutor, learner, NOW))
        layer = get_channel_layer()
        assert layer is not None
        channel = async_to_sync(layer.new_channel)()
        async_to_sync(layer.group_add)(events.room_group(room.pk), channel)
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(learner).post(
                self.upload_url(room),
                {"file": upload("Graph (final).png", png_bytes(), "image/png")},
            )
        assert response.status_code == 201
        message = ChatMessage.objects.get(pk=response.json()["id"])
        assert message.author == learner and message.file is not None
        assert (
            message.file.original_name == "Graph _final_.png"
            and message.file.content_type == "image/png"
        )
        pushed = async_to_sync(layer.receive)(channel)
        assert pushed["event"]["type"] == "chat" and pushed["event"]["id"] == message.pk
        assert pushed["event"]["file"]["url"] == reverse("live:file", args=[message.file.pk])
        async_to_sync(layer.group_discard)(events.room_group(room.pk), channel)

    def test_uploads_need_the_room_open_and_a_participant(self, tutor, learner, stranger) -> None:
        closed = room_for_booking(booking=booking_at(tutor, learner, NOW - timedelta(hours=3)))
        response = client_for(learner).post(
            self.upload_url(closed), {"file": upload("a.pdf", PDF_BYTES)}
        )
        assert response.status_code == 403 and "error" in response.json()
        open_room = room_for_booking(
            booking=booking_at(
                make_tutor(display_name="Other"), learner, NOW + timedelta(minutes=5)
            )
        )
        response = client_for(stranger).post(
            self.upload_url(open_room), {"file": upload("a.pdf", PDF_BYTES)}
        )
        assert response.status_code == 404
        assert client_for(learner).get(self.upload_url(open_room)).status_code == 405

    def test_downloads_are_for_participants_only_and_always_attachments(
        self, tutor, learner, stranger
    ) -> None:
        room = room_for_booking(booking=booking_at(tutor, learner, NOW))
        message = services.file_share(
            actor=learner, room_id=room.pk, upload=upload("graph.pdf", PDF_BYTES)
        )
        assert message.file is not None
        url = reverse("live:file", args=[message.file.pk])
        for person in (tutor, learner):
            response = client_for(person).get(url)
            assert response.status_code == 200
            assert response["Content-Disposition"] == 'attachment; filename="graph.pdf"'
            assert response["Content-Type"] == "application/pdf"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
        assert client_for(stranger).get(url).status_code == 404
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        # Still available from the record after the session.
        booking = room.booking
        assert booking is not None
        booking.starts_at, booking.ends_at = NOW - timedelta(hours=5), NOW - timedelta(hours=4)
        booking.save()
        assert client_for(tutor).get(url).status_code == 200


class TestIceServers:
    URL = "/api/v1/live/ice-servers"

    def test_anonymous_callers_get_401(self) -> None:
        assert Client().get(self.URL).status_code == 401

    def test_without_turn_settings_only_stun_is_offered(self, learner, settings) -> None:
        settings.STUN_URLS = ["stun:stun.example.org:3478"]
        settings.TURN_URLS, settings.TURN_SECRET = [], ""
        body = client_for(learner).get(self.URL).json()
        assert body["ice_servers"] == [
            {"urls": ["stun:stun.example.org:3478"], "username": None, "credential": None}
        ]

    def test_turn_credentials_are_short_lived_and_verify_with_the_secret(
        self, learner, settings
    ) -> None:
        settings.STUN_URLS = []
        settings.TURN_URLS = [
            "turn:turn.example.org:3478?transport=udp",
            "turns:turn.example.org:5349",
        ]
        settings.TURN_SECRET = "s3cret-shared-with-coturn"
        response = client_for(learner).get(self.URL)
        assert response.status_code == 200
        body = response.json()
        (server,) = body["ice_servers"]
        assert server["urls"] == settings.TURN_URLS
        expiry, user_id = server["username"].split(":")
        assert user_id == str(learner.pk)
        assert time.time() < int(expiry) <= time.time() + body["ttl_seconds"] + 1
        expected = base64.b64encode(
            hmac.new(
                settings.TURN_SECRET.encode(), server["username"].encode(), hashlib.sha1
            ).digest()
        ).decode()
        assert server["credential"] == expected
        # Another person gets other credentials.
        other = client_for(make_user()).get(self.URL).json()["ice_servers"][0]
        assert (
            other["username"] != server["username"] and other["credential"] != server["credential"]
        )


def test_strokes_in_the_page_match_the_database(tutor, learner) -> None:
    room = room_for_booking(booking=booking_at(tutor, learner, NOW))
    for n in range(3):
        services.stroke_add(actor=tutor, room=room, data={"points": [[n / 10, n / 10]], "width": 4})
    response = client_for(tutor).get(room_url(room))
    strokes = response.context["strokes"]
    assert [s["id"] for s in strokes] == list(WhiteboardStroke.objects.values_list("id", flat=True))
