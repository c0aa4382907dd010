"""Home as a personal dashboard: what is waiting on this person, with onboarding only while undone,
at a query count that does not grow with their sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peerlearn.accounts.models import Profile, TeachingSubject, User
from peerlearn.common.testing import make_booking, make_tutor, make_user
from peerlearn.matching.help.models import HelpOffer, HelpRequest
from peerlearn.messaging.models import Conversation, Membership, Message
from peerlearn.scheduling.models import Booking

from .fixtures import client_for

pytestmark = pytest.mark.django_db


def verified_tutor() -> User:
    tutor = make_tutor(display_name="Vera Verified")
    TeachingSubject.objects.filter(user=tutor).update(verified_at=timezone.now())
    User.objects.filter(pk=tutor.pk).update(date_joined=timezone.now() - timedelta(days=90))
    tutor.refresh_from_db()
    return tutor


def test_a_brand_new_account_is_welcomed_not_welcomed_back() -> None:
    user = make_user(display_name="Nia New")
    html = client_for(user).get("/").content.decode()
    assert "Welcome to PeerLearn, Nia New" in html
    assert "Welcome back" not in html
    assert "Getting started" in html and "Teach what you know" in html


def test_a_returning_member_is_welcomed_back() -> None:
    user = make_user(display_name="Ola Old")
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=3))
    assert "Welcome back, Ola Old" in client_for(user).get("/").content.decode()


def test_a_verified_tutor_sees_sessions_requests_and_no_verification_nag() -> None:
    tutor = verified_tutor()
    learner = make_user(display_name="Lee Learner")
    current = make_booking(tutor, [learner])  # started 5 minutes ago: the room is open
    later = make_booking(tutor, [learner], starts_in=timedelta(days=2))
    request = make_booking(
        tutor, [learner], starts_in=timedelta(days=3), status=Booking.Status.REQUESTED
    )
    html = client_for(tutor).get("/").content.decode()
    assert "Get verified" not in html and "Teach what you know" not in html
    assert "Join now" in html and f"/rooms/join/{current.pk}/" in html
    assert f"/sessions/{later.pk}/" in html
    assert "Waiting on you" in html and f"/sessions/{request.pk}/" in html
    learner_html = client_for(learner).get("/").content.decode()
    assert "Waiting on others" in learner_html


def test_onboarding_lists_only_undone_steps() -> None:
    user = make_user(display_name="Dana Done")
    Profile.objects.filter(user=user).update(bio="I like graphs.")
    html = client_for(user).get("/").content.decode()
    assert "Add a display name and a bio" not in html
    assert "Upload a photo" in html


def test_unread_messages_help_offers_and_reviews_to_write() -> None:
    tutor = verified_tutor()
    learner = make_user(display_name="Lee Learner")
    conversation = Conversation.objects.create(created_by=learner)
    Membership.objects.create(conversation=conversation, user=learner)
    Membership.objects.create(conversation=conversation, user=tutor)
    Message.objects.create(conversation=conversation, author=learner, body="hi")
    Message.objects.create(conversation=conversation, author=learner, body="there?")
    help_request = HelpRequest.objects.create(
        learner=learner,
        subject=tutor.teaching_subjects.get().subject,
        description="stuck",
        starts_at=timezone.now() + timedelta(hours=3),
        duration_minutes=30,
        round_ends_at=timezone.now() + timedelta(minutes=10),
    )
    HelpOffer.objects.create(
        request=help_request, tutor=tutor, round=1, rank=1, offered_at=timezone.now()
    )
    make_booking(tutor, [learner], starts_in=timedelta(days=-2), status=Booking.Status.COMPLETED)
    html = client_for(tutor).get("/").content.decode()
    assert "<strong>2</strong> unread messages" in html
    assert "Help with <strong>" in html
    assert "Reviews to write" in html and "Lee Learner" in html


def test_home_costs_the_same_queries_with_more_sessions() -> None:
    tutor = verified_tutor()
    learner = make_user()
    for day in range(2):
        make_booking(tutor, [learner], starts_in=timedelta(days=day + 1))
    client = client_for(tutor)
    client.get("/")  # warm the showcase cache and the session

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get("/")
        return len(ctx)

    few = count()
    for day in range(2, 12):
        other = make_user()
        make_booking(tutor, [other], starts_in=timedelta(days=day + 1))
        make_booking(
            tutor, [other], starts_in=timedelta(days=day + 40), status=Booking.Status.REQUESTED
        )
    assert count() == few
