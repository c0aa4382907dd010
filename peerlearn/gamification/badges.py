"""The badges: each with a rule people can read, a target and a progress function.

``badge_progress`` is what the badges page, the API and ``services.badges_refresh`` (which
awards a badge when its progress is met) all read, so what a person sees is what is checked.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from peerlearn.accounts.models import User
from peerlearn.practice.models import Language, Submission
from peerlearn.reviews import selectors as review_selectors
from peerlearn.scheduling.models import BookingEvent

TOP_MENTOR_SESSIONS = 20
TOP_MENTOR_RATING = 4.5
FAST_RESPONDER_REQUESTS = 5
FAST_RESPONDER_MINUTES = 60
FAST_RESPONDER_WINDOW = 50  # the tutor's most recent answered requests
STREAK_DAYS = 7
POLYGLOT_LANGUAGES = (Language.PYTHON, Language.CPP, Language.JAVASCRIPT)
ANSWER_ACTIONS = ("accept", "decline", "counter")


@dataclass(frozen=True)
class Progress:
    value: int
    target: int
    met: bool
    detail: str = ""

    @property
    def shown_value(self) -> int:
        return min(self.value, self.target)

    @property
    def percent(self) -> int:
        return round(100 * self.shown_value / self.target) if self.target else 100


@dataclass(frozen=True)
class Badge:
    key: str
    name: str
    rule: str
    icon: str  # a name in gamification/_badge_icon.html
    progress: Callable[[User, datetime | None], Progress]


def top_mentor(user: User, now: datetime | None = None) -> Progress:
    rated = review_selectors.sessions_rated_at_least(user, TOP_MENTOR_RATING)
    return Progress(rated, TOP_MENTOR_SESSIONS, rated >= TOP_MENTOR_SESSIONS)


def response_minutes(user: User) -> list[float]:
    """Minutes from each booking request to the tutor's first answer (accept, decline or
    counter-proposal), over their most recent ``FAST_RESPONDER_WINDOW`` answered requests."""
    requested = dict(
        BookingEvent.objects.filter(booking__tutor=user, action="request").values_list(
            "booking_id", "at"
        )
    )
    answered: dict[int, datetime] = {}
    for booking_id, at in (
        BookingEvent.objects.filter(
            booking__tutor=user, actor=user, action__in=ANSWER_ACTIONS, booking_id__in=requested
        )
        .order_by("at")
        .values_list("booking_id", "at")
    ):
        answered.setdefault(booking_id, at)
    recent = sorted(answered.items(), key=lambda item: item[1])[-FAST_RESPONDER_WINDOW:]
    return [(at - requested[bid]).total_seconds() / 60 for bid, at in recent]


def fast_responder(user: User, now: datetime | None = None) -> Progress:
    minutes = response_minutes(user)
    if not minutes:
        return Progress(0, FAST_RESPONDER_REQUESTS, False, "No answered requests yet.")
    median = statistics.median(minutes)
    met = len(minutes) >= FAST_RESPONDER_REQUESTS and median < FAST_RESPONDER_MINUTES
    shown = f"{median:.0f} min" if median < 120 else f"{median / 60:.1f} h"
    return Progress(
        len(minutes), FAST_RESPONDER_REQUESTS, met, f"Your median answer time: {shown}."
    )


def week_streak(user: User, now: datetime | None = None) -> Progress:
    from .selectors import streak_get

    streak = streak_get(user=user, now=now)
    return Progress(
        streak.longest,
        STREAK_DAYS,
        streak.longest >= STREAK_DAYS,
        f"Current streak {streak.current}, best {streak.longest}.",
    )


def _accepted(user: User) -> QuerySet[Submission]:
    return Submission.objects.filter(
        user=user, mode=Submission.Mode.SUBMIT, verdict=Submission.Verdict.ACCEPTED
    )


def first_accepted(user: User, now: datetime | None = None) -> Progress:
    solved = _accepted(user).exists()
    return Progress(int(solved), 1, solved)


def polyglot(user: User, now: datetime | None = None) -> Progress:
    used = set(
        _accepted(user)
        .filter(language__in=POLYGLOT_LANGUAGES)
        .values_list("language", flat=True)
        .distinct()
    )
    labels = [Language(code).label for code in POLYGLOT_LANGUAGES if code in used]
    detail = f"Solved in {', '.join(labels)}." if labels else ""
    return Progress(len(used), len(POLYGLOT_LANGUAGES), len(used) == 3, detail)


BADGES: list[Badge] = [
    Badge(
        "top_mentor",
        "Top Mentor",
        f"{TOP_MENTOR_SESSIONS} sessions you taught rated {TOP_MENTOR_RATING}+",
        "medal",
        top_mentor,
    ),
    Badge(
        "fast_responder",
        "Fast Responder",
        f"Answer booking requests in under {FAST_RESPONDER_MINUTES} minutes (median) over at "
        f"least {FAST_RESPONDER_REQUESTS} requests",
        "bolt",
        fast_responder,
    ),
    Badge(
        "streak_7",
        "7-day streak",
        f"Be active {STREAK_DAYS} days in a row (a session, a first solve)",
        "flame",
        week_streak,
    ),
    Badge(
        "first_accepted",
        "First Accepted",
        "Get your first accepted practice submission",
        "check",
        first_accepted,
    ),
    Badge(
        "polyglot",
        "Polyglot",
        "Get accepted submissions in Python, C++ and JavaScript",
        "globe",
        polyglot,
    ),
]
BADGES_BY_KEY = {badge.key: badge for badge in BADGES}


def badge_progress(badge: Badge, user: User, *, now: datetime | None = None) -> Progress:
    return badge.progress(user, now)
