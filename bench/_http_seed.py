"""The data set of bench/http.py, built in a few seconds with bulk inserts.

On top of ``seed_demo --tutors N`` and ``seed_forum --demo`` (people, profiles, subjects, tutor
search documents, forum categories), every one of ``clients`` bench people gets a realistic
history: notifications (a third unread), direct conversations with messages (some unread),
upcoming and past sessions, and everyone shares a forum of tagged threads with replies. Each bench
person is then signed in twice, as production clients are: a browser session (the cookie) and an
app session with a JWT access token minted by allauth's headless token strategy.

Runs in the bench process after ``django.setup()`` with the servers' settings, so the sessions
land in the same session store (PostgreSQL + Redis) the servers read.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

NOTIFICATIONS_PER_PERSON = 200
BACKGROUND_NOTIFICATIONS = 30  # for everyone else
CONVERSATIONS_PER_PERSON = 15
MESSAGES_PER_CONVERSATION = 20
UPCOMING_PER_PERSON = 20
PAST_PER_PERSON = 10
THREADS = 600
REPLIES_PER_THREAD = 3
TAGS = ["python", "calculus", "exam", "homework", "career", "linear-algebra", "essay", "lab"]


@dataclass(frozen=True)
class BenchClient:
    email: str
    access_token: str  # Authorization: Bearer <access_token> (JWT)
    session_cookie: str  # sessionid=<session_cookie>


def seed(*, clients: int, seed_value: int = 13) -> None:
    from django.db import transaction

    from peerlearn.accounts.models import User

    rng = random.Random(seed_value)
    people = list(User.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    bench_people = people[:clients]
    with transaction.atomic():
        _notifications(rng, people, bench_people)
        _conversations(rng, people, bench_people)
        _bookings(rng, people, bench_people)
        _forum(rng, people)


def sign_in(*, clients: int) -> list[BenchClient]:
    """A browser session and an app session (with its JWT access token) per bench person."""
    from allauth.headless.tokens.strategies.jwt import internal as jwt
    from django.conf import settings
    from django.contrib.auth import login
    from django.contrib.sessions.backends.base import SessionBase
    from django.test import RequestFactory
    from django.utils.module_loading import import_string

    from peerlearn.accounts.models import User

    store: type[SessionBase] = import_string(f"{settings.SESSION_ENGINE}.SessionStore")

    def signed_in(user: User) -> SessionBase:
        request = RequestFactory().get("/")
        request.session = store()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        request.session.save()
        return request.session

    result = []
    for user in User.objects.filter(is_active=True).order_by("id")[:clients]:
        browser = signed_in(user)
        app = signed_in(user)
        token = jwt.create_access_token(user, app, {})
        assert browser.session_key is not None
        result.append(BenchClient(user.email, token, browser.session_key))
    return result


def _notifications(rng: random.Random, people: list[int], bench_people: list[int]) -> None:
    from django.utils import timezone

    from peerlearn.notifications.models import Notification

    now = timezone.now()
    kinds = [k.value for k in Notification.Kind]
    rows = []
    for user_id in people:
        count = NOTIFICATIONS_PER_PERSON if user_id in bench_people else BACKGROUND_NOTIFICATIONS
        for i in range(count):
            created = now - timedelta(minutes=37 * i + rng.randrange(30))
            rows.append(
                Notification(
                    user_id=user_id,
                    kind=rng.choice(kinds),
                    title=f"Something happened ({i})",
                    body="A short plain-text body, as the services write them. " * 2,
                    url=f"/sessions/{rng.randrange(1, 999)}/",
                    created_at=created,
                    read_at=None if i % 3 == 0 else created + timedelta(minutes=5),
                )
            )
    Notification.objects.bulk_create(rows, batch_size=2000)


def _conversations(rng: random.Random, people: list[int], bench_people: list[int]) -> None:
    from django.utils import timezone

    from peerlearn.messaging.models import Conversation, Membership, Message
    from peerlearn.messaging.selectors import direct_key

    now = timezone.now()
    pairs: set[tuple[int, int]] = set()
    for user_id in bench_people:
        while sum(1 for p in pairs if user_id in p) < CONVERSATIONS_PER_PERSON:
            other = rng.choice(people)
            if other != user_id:
                pairs.add((min(user_id, other), max(user_id, other)))
    ordered = sorted(pairs)
    conversations = Conversation.objects.bulk_create(
        Conversation(created_by_id=a, direct_key=direct_key(a, b)) for a, b in ordered
    )
    messages = []
    for conversation, (a, b) in zip(conversations, ordered, strict=True):
        for i in range(MESSAGES_PER_CONVERSATION):
            messages.append(
                Message(
                    conversation=conversation,
                    author_id=a if i % 2 else b,
                    body=f"Message {i}: shall we go over the exercise sheet again?",
                )
            )
    Message.objects.bulk_create(messages, batch_size=2000)
    memberships = []
    by_conversation: dict[int, list[int]] = {}
    for message in messages:
        by_conversation.setdefault(message.conversation_id, []).append(message.pk)
    for conversation, (a, b) in zip(conversations, ordered, strict=True):
        ids = by_conversation[conversation.pk]
        conversation.last_message_id = ids[-1]
        conversation.last_message_at = now - timedelta(minutes=rng.randrange(10_000))
        read_up_to = ids[rng.randrange(len(ids))]  # some unread messages in most of them
        memberships += [
            Membership(conversation=conversation, user_id=a, last_read_id=read_up_to),
            Membership(conversation=conversation, user_id=b, last_read_id=ids[-1]),
        ]
    Conversation.objects.bulk_update(conversations, ["last_message_id", "last_message_at"])
    Membership.objects.bulk_create(memberships, batch_size=2000)


def _bookings(rng: random.Random, people: list[int], bench_people: list[int]) -> None:
    """Every session in an hour of its own, so no one's time claims overlap."""
    from django.utils import timezone

    from peerlearn.accounts.models import TeachingSubject
    from peerlearn.scheduling.models import Booking, TimeClaim

    teaching = list(TeachingSubject.objects.values_list("user_id", "subject_id"))
    soon = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    slot = 0
    bookings: list[Booking] = []
    learners: list[int] = []
    for learner in bench_people:
        for i in range(UPCOMING_PER_PERSON + PAST_PER_PERSON):
            tutor, subject = rng.choice(teaching)
            while tutor == learner:
                tutor, subject = rng.choice(teaching)
            slot += 1
            upcoming = i < UPCOMING_PER_PERSON
            starts = (
                soon + timedelta(hours=slot) if upcoming else soon - timedelta(days=60, hours=slot)
            )
            bookings.append(
                Booking(
                    tutor_id=tutor,
                    subject_id=subject,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1),
                    status=Booking.Status.CONFIRMED if upcoming else Booking.Status.COMPLETED,
                    created_by_id=learner,
                    note="Chapter 3, exercises 4-9.",
                )
            )
            learners.append(learner)
    Booking.objects.bulk_create(bookings, batch_size=2000)
    claims = []
    for booking, learner in zip(bookings, learners, strict=True):
        for user_id, role in ((booking.tutor_id, "tutor"), (learner, "learner")):
            claims.append(
                TimeClaim(
                    booking=booking,
                    user_id=user_id,
                    role=role,
                    starts_at=booking.starts_at,
                    ends_at=booking.ends_at,
                    active=booking.status == Booking.Status.CONFIRMED,
                )
            )
    TimeClaim.objects.bulk_create(claims, batch_size=2000)


def _forum(rng: random.Random, people: list[int]) -> None:
    from django.utils import timezone

    from peerlearn.forum.models import Category, Reply, Tag, Thread

    now = timezone.now()
    categories = list(Category.objects.filter(members_only=False).values_list("id", flat=True))
    tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
    body = "How do I approach this? I tried the substitution from the lecture but got stuck."
    html = f"<p>{body}</p>"
    threads = []
    for i in range(THREADS):
        created = now - timedelta(minutes=53 * i)
        threads.append(
            Thread(
                category_id=rng.choice(categories),
                author_id=rng.choice(people),
                title=f"Question {i} about the exercise sheet",
                body=body,
                html=html,
                score=rng.randrange(-2, 15),
                created_at=created,
                last_activity_at=created + timedelta(minutes=rng.randrange(60)),
                reply_count=REPLIES_PER_THREAD,
            )
        )
    Thread.objects.bulk_create(threads, batch_size=1000)
    through: list[Any] = []
    for thread in threads:
        for tag in rng.sample(tags, rng.randrange(0, 4)):
            through.append(Thread.tags.through(thread_id=thread.pk, tag_id=tag.pk))
    Thread.tags.through.objects.bulk_create(through, batch_size=2000)
    Reply.objects.bulk_create(
        (
            Reply(thread=thread, author_id=rng.choice(people), body=body, html=html)
            for thread in threads
            for _ in range(REPLIES_PER_THREAD)
        ),
        batch_size=2000,
    )
