"""Room writes: the notes merge, notes edits, whiteboard strokes, chat and shared files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers, get_channel_layer
from django.core.files.storage import storages
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from conftest import require
from peerlearn.common.errors import Forbidden, NotFound, ServiceError
from peerlearn.common.testing import PDF_BYTES, make_tutor, make_user, png_bytes, race, upload
from peerlearn.live import events, selectors, services
from peerlearn.live.merge import merge3
from peerlearn.live.models import (
    ChatMessage,
    NotesRevision,
    Room,
    RoomFile,
    RoomPresence,
    WhiteboardStroke,
)
from peerlearn.scheduling.models import Booking, TimeClaim

# --- merge3 (no database) ----------------------------------------------------------------------


class TestMerge3:
    BASE = "one\ntwo\nthree\nfour\n"

    def test_only_one_side_changed_takes_that_side(self) -> None:
        assert merge3(self.BASE, "one\n2\nthree\nfour\n", self.BASE) == "one\n2\nthree\nfour\n"
        assert merge3(self.BASE, self.BASE, "one\ntwo\n3\nfour\n") == "one\ntwo\n3\nfour\n"

    def test_the_same_edit_on_both_sides_is_taken_once(self) -> None:
        assert merge3(self.BASE, "one\nTWO\nthree\nfour\n", "one\nTWO\nthree\nfour\n") == (
            "one\nTWO\nthree\nfour\n"
        )
        assert merge3(self.BASE, "zero\none\nTWO\nthree\nfour\n", "one\nTWO\nthree\nfour\n") == (
            "zero\none\nTWO\nthree\nfour\n"
        )

    @pytest.mark.parametrize(
        ("mine", "theirs", "merged"),
        [
            ("ONE\ntwo\nthree\nfour\n", "one\ntwo\nthree\nFOUR\n", "ONE\ntwo\nthree\nFOUR\n"),
            ("one\nTWO\nthree\nfour\n", "one\ntwo\nTHREE\nfour\n", "one\nTWO\nTHREE\nfour\n"),
            (
                "zero\none\ntwo\nthree\nfour\n",
                "one\ntwo\nthree\nfour\nfive\n",
                "zero\none\ntwo\nthree\nfour\nfive\n",
            ),
            ("one\nthree\nfour\n", "one\ntwo\nthree\nFOUR\n", "one\nthree\nFOUR\n"),
            ("one\ntwo\nthree\nfour\nend", "ONE\ntwo\nthree\nfour\n", "ONE\ntwo\nthree\nfour\nend"),
        ],
        ids=[
            "first-and-last",
            "neighbouring-lines",
            "prepend-and-append",
            "delete-and-edit",
            "no-final-newline",
        ],
    )
    def test_edits_of_different_lines_merge(self, mine: str, theirs: str, merged: str) -> None:
        assert merge3(self.BASE, mine, theirs) == merged
        assert merge3(self.BASE, theirs, mine) == merged

    @pytest.mark.parametrize(
        ("mine", "theirs"),
        [
            ("one\nmine\nthree\nfour\n", "one\ntheirs\nthree\nfour\n"),
            ("one\nthree\nfour\n", "one\nTWO\nthree\nfour\n"),
            ("one\nmine\ntwo\nthree\nfour\n", "one\ntheirs\ntwo\nthree\nfour\n"),
            ("one\nMINE\nMINE\nfour\n", "one\ntwo\nTHEIRS\nfour\n"),
        ],
        ids=["same-line", "delete-vs-edit", "two-insertions-at-one-place", "overlapping-ranges"],
    )
    def test_edits_of_the_same_lines_conflict(self, mine: str, theirs: str) -> None:
        assert merge3(self.BASE, mine, theirs) is None
        assert merge3(self.BASE, theirs, mine) is None

    def test_an_empty_base_with_two_different_texts_conflicts(self) -> None:
        assert merge3("", "mine\n", "theirs\n") is None

    @given(
        size=st.integers(min_value=1, max_value=30),
        data=st.data(),
    )
    def test_replacing_disjoint_lines_always_merges_both(self, size: int, data: Any) -> None:
        base = [f"line {i}\n" for i in range(size)]
        indices = list(range(size))
        mine_at = set(data.draw(st.lists(st.sampled_from(indices), unique=True)))
        theirs_at = set(
            data.draw(st.lists(st.sampled_from(indices), unique=True).map(set)) - mine_at
        )
        mine = [f"mine {i}\n" if i in mine_at else line for i, line in enumerate(base)]
        theirs = [f"theirs {i}\n" if i in theirs_at else line for i, line in enumerate(base)]
        expected = [
            mine[i] if i in mine_at else theirs[i] if i in theirs_at else base[i]
            for i in range(size)
        ]
        assert merge3("".join(base), "".join(mine), "".join(theirs)) == "".join(expected)


# --- services with a room ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_channel_layer() -> Iterator[None]:
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


class RoomSetup:
    def __init__(self) -> None:
        self.tutor = make_tutor(display_name="Tara")
        self.learner = make_user(display_name="Lee")
        self.outsider = make_user(display_name="Otto")
        starts = timezone.now() - timedelta(minutes=5)
        ends = starts + timedelta(hours=1)
        self.booking = Booking.objects.create(
            tutor=self.tutor,
            subject=self.tutor.teaching_subjects.get().subject,
            starts_at=starts,
            ends_at=ends,
            status=Booking.Status.CONFIRMED,
            created_by=self.learner,
        )
        for user, role in ((self.tutor, "tutor"), (self.learner, "learner")):
            TimeClaim.objects.create(
                booking=self.booking, user=user, role=role, starts_at=starts, ends_at=ends
            )
        self.room = selectors.room_for_booking(booking=self.booking)


@pytest.fixture
def setup(db: None) -> RoomSetup:
    return RoomSetup()


class Listener:
    """A channel in the room's group, read synchronously from the in-memory layer."""

    def __init__(self, room: Room) -> None:
        self.layer = get_channel_layer()
        assert self.layer is not None
        self.channel = async_to_sync(self.layer.new_channel)()
        async_to_sync(self.layer.group_add)(events.room_group(room.pk), self.channel)

    def events(self) -> list[dict[str, Any]]:
        """What reached the channel so far (without waiting)."""
        queue = self.layer.channels.get(self.channel)
        out = []
        while queue is not None and not queue.empty():
            out.append(async_to_sync(self.layer.receive)(self.channel)["event"])
        return out


@pytest.fixture
def listener(setup: RoomSetup) -> Listener:
    return Listener(setup.room)


@pytest.mark.django_db
class TestNotesUpdate:
    def test_the_first_edit_makes_version_one_and_a_revision(self, setup: RoomSetup) -> None:
        result = services.notes_update(
            actor=setup.tutor, room=setup.room, base_version=0, text="hi"
        )
        assert result == {
            "type": "notes",
            "version": 1,
            "text": "hi",
            "by": {"id": setup.tutor.pk, "name": "Tara"},
            "merged": False,
        }
        assert list(NotesRevision.objects.values_list("version", "text", "author")) == [
            (1, "hi", setup.tutor.pk)
        ]

    def test_an_edit_on_an_old_version_of_other_lines_is_merged(self, setup: RoomSetup) -> None:
        services.notes_update(actor=setup.tutor, room=setup.room, base_version=0, text="a\nb\nc\n")
        services.notes_update(actor=setup.tutor, room=setup.room, base_version=1, text="A\nb\nc\n")
        result = services.notes_update(
            actor=setup.learner, room=setup.room, base_version=1, text="a\nb\nC\n"
        )
        assert result["type"] == "notes"
        assert (result["version"], result["text"], result.get("merged")) == (3, "A\nb\nC\n", True)
        assert selectors.notes(room=setup.room).text == "A\nb\nC\n"
        assert list(NotesRevision.objects.order_by("version").values_list("text", flat=True)) == [
            "a\nb\nc\n",
            "A\nb\nc\n",
            "A\nb\nC\n",
        ]

    def test_an_edit_on_an_old_version_of_the_same_line_is_a_conflict(
        self, setup: RoomSetup
    ) -> None:
        services.notes_update(actor=setup.tutor, room=setup.room, base_version=0, text="a\nb\n")
        services.notes_update(actor=setup.tutor, room=setup.room, base_version=1, text="a\nB!\n")
        result = services.notes_update(
            actor=setup.learner, room=setup.room, base_version=1, text="a\nb?\n"
        )
        assert result == {
            "type": "notes.conflict",
            "version": 2,
            "text": "a\nB!\n",
            "yours": "a\nb?\n",
        }
        notes = selectors.notes(room=setup.room)
        assert (notes.version, notes.text) == (2, "a\nB!\n")
        assert NotesRevision.objects.count() == 2

    @pytest.mark.parametrize("base_version", [5, -1])
    def test_an_unknown_base_version_is_a_conflict(
        self, setup: RoomSetup, base_version: int
    ) -> None:
        services.notes_update(actor=setup.tutor, room=setup.room, base_version=0, text="x")
        result = services.notes_update(
            actor=setup.learner, room=setup.room, base_version=base_version, text="y"
        )
        assert result["type"] == "notes.conflict"
        assert selectors.notes(room=setup.room).text == "x"

    def test_saving_the_same_text_makes_no_new_version(self, setup: RoomSetup) -> None:
        services.notes_update(actor=setup.tutor, room=setup.room, base_version=0, text="x")
        result = services.notes_update(
            actor=setup.learner, room=setup.room, base_version=1, text="x"
        )
        assert result["version"] == 1
        assert NotesRevision.objects.count() == 1

    def test_notes_over_the_limit_are_refused(self, setup: RoomSetup) -> None:
        with pytest.raises(ServiceError) as info:
            services.notes_update(
                actor=setup.tutor, room=setup.room, base_version=0, text="x" * 100_001
            )
        assert info.value.code == "too_long"

    def test_an_accepted_edit_is_broadcast_after_commit(
        self, setup: RoomSetup, listener: Listener, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.notes_update(actor=setup.tutor, room=setup.room, base_version=0, text="x")
        assert listener.events() == []
        for callback in callbacks:
            callback()
        assert [e["type"] for e in listener.events()] == ["notes"]


@pytest.mark.django_db
class TestStrokes:
    def test_a_stroke_is_cleaned_and_stored(self, setup: RoomSetup) -> None:
        stroke = services.stroke_add(
            actor=setup.learner,
            room=setup.room,
            data={
                "points": [[0.123456, 0.5], [-3, 7], [1, 0]],
                "color": "#A0b1C2",
                "width": 500,
                "erase": 1,
                "extra": "<script>",
            },
        )
        assert stroke.data == {
            "points": [[0.1235, 0.5], [0.0, 1.0], [1.0, 0.0]],
            "color": "#A0b1C2",
            "width": 40.0,
            "erase": True,
        }

    @pytest.mark.parametrize(
        ("color", "width", "clean_color", "clean_width"),
        [
            ("red", "wide", "#222222", 3.0),
            ("#12345g", 0, "#222222", 1.0),
            ('#"><svg', None, "#222222", 3.0),
            (None, 2.5, "#222222", 2.5),
        ],
    )
    def test_bad_colors_and_widths_fall_back_to_defaults(
        self, setup: RoomSetup, color: Any, width: Any, clean_color: str, clean_width: float
    ) -> None:
        data: dict[str, Any] = {"points": [[0.5, 0.5]], "width": width}
        if color is not None:
            data["color"] = color
        stroke = services.stroke_add(actor=setup.learner, room=setup.room, data=data)
        assert (stroke.data["color"], stroke.data["width"]) == (clean_color, clean_width)

    @pytest.mark.parametrize(
        "data",
        [
            None,
            "points",
            [[0, 0]],
            {},
            {"points": []},
            {"points": [[0, 0]] * (services.MAX_STROKE_POINTS + 1)},
            {"points": [[0]]},
            {"points": [[0, 0, 0]]},
            {"points": [["0", 0]]},
            {"points": [{"x": 0, "y": 0}]},
            {"points": [[None, 0]]},
        ],
    )
    def test_a_malformed_stroke_is_refused(self, setup: RoomSetup, data: Any) -> None:
        with pytest.raises(ServiceError) as info:
            services.stroke_add(actor=setup.learner, room=setup.room, data=data)
        assert info.value.code == "invalid_stroke"
        assert not WhiteboardStroke.objects.exists()

    @pytest.mark.parametrize(
        "data", [{"points": [[float("nan"), 0.5]]}, {"points": [[0.5, 0.5]], "width": float("nan")}]
    )
    def test_a_stroke_with_nan_is_refused(self, setup: RoomSetup, data: dict[str, Any]) -> None:
        with pytest.raises(ServiceError) as info:
            services.stroke_add(actor=setup.learner, room=setup.room, data=data)
        assert info.value.code == "invalid_stroke"
        assert not WhiteboardStroke.objects.exists()

    def test_clearing_removes_every_stroke_of_that_room_only(self, setup: RoomSetup) -> None:
        other = RoomSetup()
        for room in (setup.room, setup.room, other.room):
            WhiteboardStroke.objects.create(room=room, author=setup.tutor, data={"points": []})
        assert services.whiteboard_clear(actor=setup.learner, room=setup.room) == 2
        assert list(WhiteboardStroke.objects.values_list("room", flat=True)) == [other.room.pk]

    def test_a_stroke_is_broadcast_after_commit(
        self, setup: RoomSetup, listener: Listener, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            stroke = services.stroke_add(
                actor=setup.learner, room=setup.room, data={"points": [[0.5, 0.5]]}
            )
        assert listener.events() == [
            {"type": "wb.stroke", "id": stroke.pk, "author": setup.learner.pk, "data": stroke.data}
        ]


@pytest.mark.django_db
class TestChatPost:
    def test_markdown_is_rendered_and_sanitized_once_when_stored(self, setup: RoomSetup) -> None:
        body = (
            "  **bold** and `code`\n\n"
            "<script>alert(1)</script>\n\n"
            '<img src=x onerror="alert(1)">\n\n'
            "[click](javascript:alert(1)) [ok](https://example.org)\n\n"
            "```python\nprint('hi')\n```\n"
        )
        message = services.chat_post(actor=setup.learner, room=setup.room, body=body)
        message.refresh_from_db()
        assert message.body == body.strip()
        html = message.html
        assert "<strong>bold</strong>" in html and "<code>code</code>" in html
        tags = re.findall(r"<[a-z][^>]*>", html)
        assert not [t for t in tags if t.startswith(("<script", "<img")) or "onerror" in t]
        assert "&lt;script&gt;" in html
        assert 'href="javascript' not in html
        assert '<a href="https://example.org" rel="noopener noreferrer nofollow">ok</a>' in html
        assert '<span class="hl-nb">print</span>' in html

    @pytest.mark.parametrize(
        ("body", "code"), [("", "empty"), (" \n\t ", "empty"), ("x" * 4001, "too_long")]
    )
    def test_empty_and_too_long_messages_are_refused(
        self, setup: RoomSetup, body: str, code: str
    ) -> None:
        with pytest.raises(ServiceError) as info:
            services.chat_post(actor=setup.learner, room=setup.room, body=body)
        assert info.value.code == code
        assert not ChatMessage.objects.exists()

    def test_a_message_is_broadcast_only_after_commit(
        self, setup: RoomSetup, listener: Listener, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            message = services.chat_post(actor=setup.learner, room=setup.room, body="hello")
        assert listener.events() == []
        assert len(callbacks) == 1
        callbacks[0]()
        assert listener.events() == [services.chat_event(message, prev=0)]
        assert services.chat_event(message, prev=0)["html"] == "<p>hello</p>\n"

    def test_the_history_after_an_id_is_in_order(self, setup: RoomSetup) -> None:
        ids = [
            services.chat_post(actor=setup.tutor, room=setup.room, body=str(n)).pk for n in range(4)
        ]
        assert [m.pk for m in selectors.chat_history(room=setup.room)] == ids
        assert [m.pk for m in selectors.chat_history(room=setup.room, after_id=ids[1])] == ids[2:]


@pytest.mark.django_db
class TestPresence:
    def test_a_socket_that_stops_refreshing_is_no_longer_listed_and_is_cleaned_up(
        self, setup: RoomSetup
    ) -> None:
        services.presence_enter(room=setup.room, channel="a", user=setup.tutor)
        services.presence_enter(room=setup.room, channel="b", user=setup.learner)
        assert [c for c, _ in selectors.present_peers(room_id=setup.room.pk)] == ["a", "b"]
        # "a"'s process died: its row is not refreshed by a heartbeat any more.
        RoomPresence.objects.filter(channel="a").update(
            seen_at=timezone.now() - selectors.PRESENCE_TTL - timedelta(seconds=1)
        )
        assert [c for c, _ in selectors.present_peers(room_id=setup.room.pk)] == ["b"]
        assert not selectors.is_present(room_id=setup.room.pk, channel="a")
        services.presence_enter(room=setup.room, channel="c", user=setup.tutor)
        assert set(RoomPresence.objects.values_list("channel", flat=True)) == {"b", "c"}
        services.presence_leave(channel="b")
        assert [c for c, _ in selectors.present_peers(room_id=setup.room.pk)] == ["c"]


@pytest.mark.django_db
class TestFileShare:
    def test_a_pdf_is_stored_privately_and_announced(self, setup: RoomSetup) -> None:
        message = services.file_share(
            actor=setup.learner,
            room_id=setup.room.pk,
            upload=upload("../../etc/Week 3 notes.pdf", PDF_BYTES, "application/pdf"),
        )
        item = RoomFile.objects.get()
        assert message.file == item and message.author == setup.learner
        assert message.body == "shared a file: Week 3 notes.pdf"
        assert (item.original_name, item.content_type, item.size) == (
            "Week 3 notes.pdf",
            "application/pdf",
            len(PDF_BYTES),
        )
        name = str(item.file.name)
        assert name.startswith(f"rooms/{setup.room.uid}/") and name.endswith(".pdf")
        assert item.file.storage is storages["private"]
        with item.file.open("rb") as stored:
            assert stored.read() == PDF_BYTES
        event = services.chat_event(message, prev=0)
        assert event["file"] == {
            "id": item.pk,
            "name": "Week 3 notes.pdf",
            "size": len(PDF_BYTES),
            "url": reverse("live:file", args=[item.pk]),
        }

    def test_an_image_is_accepted(self, setup: RoomSetup) -> None:
        message = services.file_share(
            actor=setup.tutor, room_id=setup.room.pk, upload=upload("board.png", png_bytes())
        )
        assert message.file is not None and message.file.content_type == "image/png"

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("notes.pdf", b"<html><script>alert(1)</script></html>"),
            ("tool.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200),
            ("empty.pdf", b""),
        ],
    )
    def test_content_that_is_not_allowed_is_refused(
        self, setup: RoomSetup, name: str, content: bytes
    ) -> None:
        with pytest.raises(ServiceError) as info:
            services.file_share(
                actor=setup.learner, room_id=setup.room.pk, upload=upload(name, content)
            )
        assert info.value.code in {"file_type", "file_empty"}
        assert not RoomFile.objects.exists() and not ChatMessage.objects.exists()

    def test_a_non_participant_cannot_share(self, setup: RoomSetup) -> None:
        with pytest.raises(NotFound):
            services.file_share(
                actor=setup.outsider, room_id=setup.room.pk, upload=upload("a.pdf", PDF_BYTES)
            )

    def test_nobody_shares_outside_the_join_window(self, setup: RoomSetup) -> None:
        Booking.objects.filter(pk=setup.booking.pk).update(
            starts_at=timezone.now() + timedelta(days=1),
            ends_at=timezone.now() + timedelta(days=1, hours=1),
        )
        with pytest.raises(Forbidden):
            services.file_share(
                actor=setup.learner, room_id=setup.room.pk, upload=upload("a.pdf", PDF_BYTES)
            )
        assert not RoomFile.objects.exists()


@pytest.mark.django_db(transaction=True)
class TestChatPostCost:
    """What a chat message costs the database (the room socket's hot path)."""

    def test_a_message_is_one_statement_on_postgresql(
        self, setup: RoomSetup, django_assert_num_queries
    ) -> None:
        require(connection.vendor == "postgresql", "PostgreSQL")
        # A socket's user has its profile (its display name) loaded at connect.
        assert setup.learner.display_name and setup.tutor.display_name
        with django_assert_num_queries(1):
            first = services.chat_post(
                actor=setup.learner, room=setup.room, body="a", client_id="x"
            )
        with django_assert_num_queries(1):
            second = services.chat_post(actor=setup.tutor, room=setup.room, body="b")
        # A resend: the statement finds the stored message, which is then read with its file.
        with django_assert_num_queries(2):
            again = services.chat_post(
                actor=setup.learner, room=setup.room, body="a", client_id="x"
            )
        assert again.pk == first.pk and second.pk > first.pk
        assert ChatMessage.objects.count() == 2

    def test_a_message_costs_at_most_six_statements_elsewhere(
        self, setup: RoomSetup, django_assert_max_num_queries
    ) -> None:
        """The portable path (SQLite: ``make run``): begin (SQLite's BEGIN IMMEDIATE is a
        statement), lock, look for the client id, insert, move the room's tail, commit."""
        assert setup.learner.display_name
        with django_assert_max_num_queries(6):
            services.chat_post(actor=setup.learner, room=setup.room, body="a", client_id="x")

    def test_the_room_tail_follows_the_messages(self, setup: RoomSetup) -> None:
        ids = [
            services.chat_post(actor=setup.tutor, room=setup.room, body=str(n)).pk for n in range(3)
        ]
        setup.room.refresh_from_db()
        assert (setup.room.chat_prev_id, setup.room.chat_last_id) == (ids[1], ids[2])


@pytest.mark.django_db(transaction=True)
def test_concurrent_messages_keep_ids_and_the_prev_chain_consistent() -> None:
    """Many writers at once on PostgreSQL, some resending a client id another thread is storing:
    each client id is stored once, every stored message is broadcast once, and sorted by id the
    broadcast events form one unbroken chain (each names the message before it)."""
    require(connection.vendor == "postgresql", "PostgreSQL")
    setup = RoomSetup()
    listener = Listener(setup.room)
    authors = [setup.tutor, setup.learner]
    sends = [(authors[n % 2], f"c{n}") for n in range(10)] + [
        (authors[n % 2], f"c{n}") for n in range(4)
    ]
    calls = [
        (
            lambda author=author, cid=cid: services.chat_post(
                actor=author, room=setup.room, body=cid, client_id=cid
            )
        )
        for author, cid in sends
    ]
    stored = [m.pk for m in race(calls)]  # type: ignore[attr-defined]
    assert stored[10:] == stored[:4]  # a resend answers with the first message's id
    assert ChatMessage.objects.count() == 10
    chats = sorted(
        (e for e in listener.events() if e["type"] == "chat"), key=lambda e: int(e["id"])
    )
    assert sorted(e["id"] for e in chats) == sorted(set(stored))
    assert [e["prev"] for e in chats] == [0] + [e["id"] for e in chats[:-1]]
    setup.room.refresh_from_db()
    assert setup.room.chat_last_id == chats[-1]["id"]
