from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.common.errors import Forbidden, NotFound, ServiceError
from peerlearn.common.ratelimit import RateLimited
from peerlearn.common.testing import make_tutor, make_user
from peerlearn.messaging import selectors, services
from peerlearn.messaging.models import MAX_GROUP_MEMBERS, Conversation, Membership, MessageReport
from peerlearn.notifications.models import Notification

from .conftest import Pair

pytestmark = pytest.mark.django_db


def _message_notifications(user: User) -> int:
    return Notification.objects.filter(user=user, kind="message").count()


# --- conversations -----------------------------------------------------------------------------


def test_two_people_share_one_direct_conversation(pair: Pair) -> None:
    again = services.conversation_start(actor=pair.ben, with_ids=[pair.ann.pk])
    assert again.pk == pair.conversation.pk
    assert Conversation.objects.count() == 1


def test_it_rejects_starting_a_conversation_with_nobody_or_yourself(pair: Pair) -> None:
    with pytest.raises(ServiceError) as exc:
        services.conversation_start(actor=pair.ann, with_ids=[pair.ann.pk])
    assert exc.value.code == "no_recipient"


def test_it_rejects_an_unknown_person(pair: Pair) -> None:
    with pytest.raises(NotFound):
        services.conversation_start(actor=pair.ann, with_ids=[999_999])


def test_a_group_holds_at_most_eight_people(pair: Pair) -> None:
    people = [make_user() for _ in range(MAX_GROUP_MEMBERS)]
    group = services.conversation_start(
        actor=pair.ann, with_ids=[p.pk for p in people[: MAX_GROUP_MEMBERS - 1]], title="Study"
    )
    assert group.is_group and group.title == "Study"
    assert Membership.objects.filter(conversation=group).count() == MAX_GROUP_MEMBERS
    with pytest.raises(ServiceError) as exc:
        services.conversation_start(actor=pair.ann, with_ids=[p.pk for p in people])
    assert exc.value.code == "group_too_large"


def test_a_non_member_cannot_send_or_mark_read(pair: Pair) -> None:
    with pytest.raises(NotFound):
        services.message_send(actor=pair.otto, conversation_id=pair.conversation.pk, body="hi")
    with pytest.raises(NotFound):
        services.conversation_mark_read(
            actor=pair.otto, conversation_id=pair.conversation.pk, last_id=1
        )
    with pytest.raises(NotFound):
        selectors.access_conversation(user=pair.otto, conversation_id=pair.conversation.pk)


def test_it_orders_the_inbox_by_recent_activity_and_counts_unread(pair: Pair) -> None:
    cleo = make_user(display_name="Cleo")
    other = services.conversation_start(actor=cleo, with_ids=[pair.ann.pk])
    services.message_send(actor=pair.ben, conversation_id=pair.conversation.pk, body="one")
    services.message_send(actor=cleo, conversation_id=other.pk, body="two")
    services.message_send(actor=cleo, conversation_id=other.pk, body="three")
    listed = list(selectors.conversation_list(user=pair.ann))
    assert [c.pk for c in listed] == [other.pk, pair.conversation.pk]
    assert [getattr(c, "unread") for c in listed] == [2, 1]
    assert selectors.unread_total(pair.ann) == 3
    assert selectors.unread_total(cleo) == 0


def test_history_pages_from_the_newest(pair: Pair) -> None:
    sent = [
        services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body=str(i))
        for i in range(5)
    ]
    newest = selectors.messages(conversation=pair.conversation, limit=2)
    assert [m.body for m in newest] == ["3", "4"]
    older = selectors.messages(conversation=pair.conversation, before_id=newest[0].pk, limit=2)
    assert [m.body for m in older] == ["1", "2"]
    after = selectors.messages(conversation=pair.conversation, after_id=sent[2].pk)
    assert [m.body for m in after] == ["3", "4"]


def test_an_empty_or_too_long_message_is_refused(pair: Pair) -> None:
    with pytest.raises(ServiceError):
        services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="  ")
    with pytest.raises(ServiceError):
        services.message_send(
            actor=pair.ann,
            conversation_id=pair.conversation.pk,
            body="x" * (services.MAX_BODY_CHARS + 1),
        )


# --- read receipts -----------------------------------------------------------------------------


def _read_by_ben(pair: Pair) -> int:
    message = services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="hi")
    services.conversation_mark_read(
        actor=pair.ben, conversation_id=pair.conversation.pk, last_id=message.pk
    )
    return message.pk


def test_read_receipts_are_shown_when_both_keep_them_on(pair: Pair) -> None:
    message_id = _read_by_ben(pair)
    assert selectors.receipts(viewer=pair.ann, conversation=pair.conversation) == {
        pair.ben.pk: message_id
    }


@pytest.mark.parametrize("who_turns_off", ["reader", "author"])
def test_read_receipts_are_hidden_if_either_side_turns_them_off(
    pair: Pair, who_turns_off: str
) -> None:
    services.read_receipts_set(
        actor=pair.ben if who_turns_off == "reader" else pair.ann, enabled=False
    )
    _read_by_ben(pair)
    assert selectors.receipts(viewer=pair.ann, conversation=pair.conversation) == {}
    assert selectors.receipts(viewer=pair.ben, conversation=pair.conversation) == {}


def test_the_read_marker_never_moves_back_or_past_the_newest(pair: Pair) -> None:
    message_id = _read_by_ben(pair)
    member = services.conversation_mark_read(
        actor=pair.ben, conversation_id=pair.conversation.pk, last_id=0
    )
    assert member.last_read_id == message_id
    member = services.conversation_mark_read(
        actor=pair.ben, conversation_id=pair.conversation.pk, last_id=message_id + 1000
    )
    assert member.last_read_id == message_id


# --- blocking ------------------------------------------------------------------------------------


def test_a_blocked_person_cannot_message_the_blocker(pair: Pair) -> None:
    services.block_add(actor=pair.ben, user_id=pair.ann.pk)
    assert selectors.is_blocked(pair.ben, pair.ann)
    assert not selectors.is_blocked(pair.ann, pair.ben)
    with pytest.raises(Forbidden) as exc:
        services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="hi?")
    assert exc.value.code == "blocked"
    # The blocker cannot write into the blocked conversation either, until they unblock.
    with pytest.raises(Forbidden) as exc:
        services.message_send(actor=pair.ben, conversation_id=pair.conversation.pk, body="x")
    assert exc.value.code == "you_blocked"
    services.block_remove(actor=pair.ben, user_id=pair.ann.pk)
    services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="hi!")


def test_a_blocked_person_cannot_start_a_conversation_or_group_with_the_blocker(
    pair: Pair,
) -> None:
    cleo = make_user()
    services.block_add(actor=cleo, user_id=pair.ann.pk)
    with pytest.raises(Forbidden):
        services.conversation_start(actor=pair.ann, with_ids=[cleo.pk])
    with pytest.raises(Forbidden):
        services.conversation_start(actor=pair.ann, with_ids=[cleo.pk, pair.ben.pk])


def test_in_a_group_a_blocked_member_cannot_post(pair: Pair) -> None:
    cleo = make_user()
    group = services.conversation_start(actor=pair.ann, with_ids=[pair.ben.pk, cleo.pk])
    services.block_add(actor=cleo, user_id=pair.ben.pk)
    with pytest.raises(Forbidden):
        services.message_send(actor=pair.ben, conversation_id=group.pk, body="hello")
    services.message_send(actor=pair.ann, conversation_id=group.pk, body="still fine")


def test_you_cannot_block_yourself(pair: Pair) -> None:
    with pytest.raises(ServiceError):
        services.block_add(actor=pair.ann, user_id=pair.ann.pk)


def test_a_blocked_learner_cannot_request_a_booking_from_the_blocking_tutor(db: None) -> None:
    from peerlearn.scheduling import services as scheduling

    tutor = make_tutor()
    learner = make_user()
    services.block_add(actor=tutor, user_id=learner.pk)
    subject_id = tutor.teaching_subjects.get().subject_id
    day = (timezone.now() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    with pytest.raises(Forbidden) as exc:
        scheduling.booking_request(
            actor=learner,
            tutor_id=tutor.pk,
            subject_id=subject_id,
            starts_at=day,
            duration_minutes=60,
        )
    assert "not accepting session requests" in exc.value.message
    services.block_remove(actor=tutor, user_id=learner.pk)
    booking = scheduling.booking_request(
        actor=learner, tutor_id=tutor.pk, subject_id=subject_id, starts_at=day, duration_minutes=60
    )
    assert booking.pk


# --- notifications ---------------------------------------------------------------------------


def test_one_notification_per_conversation_until_read(pair: Pair) -> None:
    for text in ("one", "two", "three"):
        last = services.message_send(
            actor=pair.ann, conversation_id=pair.conversation.pk, body=text
        )
    assert _message_notifications(pair.ben) == 1
    notification = Notification.objects.get(user=pair.ben, kind="message")
    assert notification.body == "one"
    assert "Ann" in notification.title
    assert _message_notifications(pair.ann) == 0
    services.conversation_mark_read(
        actor=pair.ben, conversation_id=pair.conversation.pk, last_id=last.pk
    )
    services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="four")
    assert _message_notifications(pair.ben) == 2


def test_no_notification_while_the_recipient_watches_the_conversation(pair: Pair) -> None:
    services.viewing_set(actor=pair.ben, conversation_id=pair.conversation.pk, previous=None)
    services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="live")
    assert _message_notifications(pair.ben) == 0
    services.viewing_set(actor=pair.ben, conversation_id=None, previous=pair.conversation.pk)
    services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="away")
    assert _message_notifications(pair.ben) == 1


def test_a_stranger_cannot_claim_to_view_a_conversation(pair: Pair) -> None:
    with pytest.raises(NotFound):
        services.viewing_set(actor=pair.otto, conversation_id=pair.conversation.pk, previous=None)


def test_a_notification_preview_is_short_plain_text(pair: Pair) -> None:
    services.message_send(
        actor=pair.ann, conversation_id=pair.conversation.pk, body="<b>hi</b>\n" + "x" * 500
    )
    body = Notification.objects.get(user=pair.ben, kind="message").body
    assert len(body) <= services.PREVIEW_CHARS
    assert "\n" not in body


# --- rate limits, reports ------------------------------------------------------------------


def test_sending_is_rate_limited(pair: Pair) -> None:
    for i in range(services.SEND_LIMIT):
        services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body=str(i))
    with pytest.raises(RateLimited):
        services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="more")
    # Others are not affected.
    services.message_send(actor=pair.ben, conversation_id=pair.conversation.pk, body="ok")


def test_reporting_is_once_per_message_and_rate_limited(pair: Pair) -> None:
    messages = [
        services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body=str(i))
        for i in range(services.REPORT_LIMIT + 1)
    ]
    services.message_report(actor=pair.ben, message_id=messages[0].pk, reason="rude")
    with pytest.raises(ServiceError) as exc:
        services.message_report(actor=pair.ben, message_id=messages[0].pk, reason="again")
    assert exc.value.code == "already_reported"
    for message in messages[1 : services.REPORT_LIMIT - 1]:
        services.message_report(actor=pair.ben, message_id=message.pk, reason="spam")
    with pytest.raises(RateLimited):
        services.message_report(actor=pair.ben, message_id=messages[-1].pk, reason="spam")


def test_only_members_report_and_not_their_own_messages(pair: Pair) -> None:
    message = services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="x")
    with pytest.raises(NotFound):
        services.message_report(actor=pair.otto, message_id=message.pk, reason="spam")
    with pytest.raises(ServiceError):
        services.message_report(actor=pair.ann, message_id=message.pk, reason="spam")


def test_a_moderator_resolves_a_report(pair: Pair) -> None:
    from peerlearn.common.testing import make_moderator

    message = services.message_send(actor=pair.ann, conversation_id=pair.conversation.pk, body="x")
    report = services.message_report(actor=pair.ben, message_id=message.pk, reason="spam")
    with pytest.raises(NotFound):
        services.report_resolve(actor=pair.ben, report_id=report.pk, resolution="")
    services.report_resolve(actor=make_moderator(), report_id=report.pk, resolution="warned")
    assert MessageReport.objects.get().resolved_at is not None
    assert not selectors.open_reports().exists()
