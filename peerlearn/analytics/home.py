"""The signed-in home page: what this person should do next, gathered from every app in a
fixed number of small queries (each list is capped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from peerlearn.accounts import selectors as account_selectors
from peerlearn.accounts.models import TeachingSubject, User
from peerlearn.live.selectors import join_window
from peerlearn.matching.help.models import HelpOffer
from peerlearn.messaging.selectors import unread_total
from peerlearn.practice import selectors as practice_selectors
from peerlearn.practice.models import Problem
from peerlearn.reviews.selectors import PendingReview, pending_for
from peerlearn.scheduling.models import Booking, TimeClaim

from .selectors import can_see_analytics

LIST_LIMIT = 5
NEW_ACCOUNT = timedelta(hours=12)


@dataclass(frozen=True)
class UpcomingSession:
    booking: Booking
    role: str  # tutor | learner
    join_open: bool


@dataclass
class HomeDashboard:
    greeting: str
    next_sessions: list[UpcomingSession]
    waiting_on_me: list[Booking]
    waiting_on_others: list[Booking]
    unread_messages: int
    help_offers: list[HelpOffer]
    streak_current: int
    next_problem: Problem | None
    next_problem_reasons: list[str]
    problems_available: int
    reviews_to_write: list[PendingReview]
    todo: list[tuple[str, str]]  # onboarding steps still undone: (label, url name)
    teaches: bool
    unverified_subjects: int
    analytics: bool
    nothing_yet: bool = field(default=False)


def greeting(user: User) -> str:
    """ "Welcome back" only to someone who has been here before (the account is older than
    ``NEW_ACCOUNT``); a brand-new account is welcomed."""
    name = user.display_name
    if timezone.now() - user.date_joined < NEW_ACCOUNT:
        return f"Welcome to PeerLearn, {name}"
    return f"Welcome back, {name}"


def _mine(user: User) -> Q:
    as_learner = TimeClaim.objects.filter(
        user=user, role=TimeClaim.Role.LEARNER, active=True
    ).values("booking_id")
    return Q(tutor=user) | Q(pk__in=as_learner)


def home_dashboard(*, user: User) -> HomeDashboard:
    now = timezone.now()
    base = Booking.objects.filter(_mine(user)).select_related("tutor__profile", "subject")
    upcoming = list(
        base.filter(status=Booking.Status.CONFIRMED, ends_at__gte=now).order_by("starts_at")[
            :LIST_LIMIT
        ]
    )
    # Waiting on me: a request to me as tutor, or a counter-proposal to me as learner.
    pending = list(
        base.filter(status__in=[Booking.Status.REQUESTED, Booking.Status.COUNTERED])
        .filter(starts_at__gte=now)
        .order_by("starts_at")[: 2 * LIST_LIMIT]
    )

    def waits_on_me(b: Booking) -> bool:
        is_tutor = b.tutor_id == user.pk
        return (b.status == Booking.Status.REQUESTED) == is_tutor

    offers = list(
        HelpOffer.objects.filter(tutor=user, status=HelpOffer.Status.PENDING)
        .select_related("request__subject", "request__learner__profile")
        .order_by("offered_at")[:LIST_LIMIT]
    )
    progress = practice_selectors.progress(user=user)
    checklist = account_selectors.profile_completion(user=user)
    teaching = list(TeachingSubject.objects.filter(user=user).values_list("verified_at", flat=True))
    reviews = pending_for(user, now)
    return HomeDashboard(
        greeting=greeting(user),
        next_sessions=[
            UpcomingSession(
                b, "tutor" if b.tutor_id == user.pk else "learner", join_window(b).is_open(now)
            )
            for b in upcoming
        ],
        waiting_on_me=[b for b in pending if waits_on_me(b)][:LIST_LIMIT],
        waiting_on_others=[b for b in pending if not waits_on_me(b)][:LIST_LIMIT],
        unread_messages=unread_total(user),
        help_offers=offers,
        streak_current=progress.streak_current,
        next_problem=progress.recommendation,
        next_problem_reasons=progress.recommendation_reasons,
        problems_available=sum(a for _, a in progress.solved_by_difficulty.values()),
        reviews_to_write=reviews[:LIST_LIMIT],
        todo=[(label, url) for label, done, url in checklist if not done],
        teaches=bool(teaching),
        unverified_subjects=sum(1 for v in teaching if v is None),
        analytics=can_see_analytics(user),
        nothing_yet=not (upcoming or pending or offers or reviews),
    )
