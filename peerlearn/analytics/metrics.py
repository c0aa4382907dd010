"""What the daily rollup counts, read from the source tables for a range of days at once.

Each source is one grouped query over the range: rows of (day, institution, name, key, count,
total). A day is a calendar day in the analytics time zone (``settings.ANALYTICS_TIME_ZONE``),
so an event at 23:30 UTC on the eve of a DST change lands on the day a person there saw on the
wall clock. The institution is the one of the person the metric is about, as it is when the
rollup runs.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import TruncDate

from peerlearn.accounts.models import User, VerificationDecision, VerificationRequest
from peerlearn.forum.models import Reply, Thread
from peerlearn.matching.help.models import HelpRequest
from peerlearn.matching.models import Impression
from peerlearn.messaging.models import Message
from peerlearn.practice.models import Solve, Submission
from peerlearn.reviews.models import ALL_DIMENSIONS, Review
from peerlearn.scheduling.models import Booking, BookingEvent

# Upper edges (seconds) of the wait histograms; a percentile is reported as "at most" the
# edge of the bucket it falls in. The last bucket is open.
WAIT_EDGES: tuple[int, ...] = (
    1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600, 86400, 3 * 86400,
)  # fmt: skip
OPEN_BUCKET = "inf"


@dataclass(frozen=True)
class Row:
    day: date
    institution_id: int | None
    name: str
    key: str
    count: int
    total: float


def zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.ANALYTICS_TIME_ZONE)


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The aware moments from ``start``'s local midnight to the midnight after ``end``."""
    tz = zone()
    return (
        datetime.combine(start, time.min, tzinfo=tz),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    )


def local_day(moment: datetime) -> date:
    return moment.astimezone(zone()).date()


def _seconds(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def duration(later: str | Combinable, earlier: str | Combinable) -> ExpressionWrapper:
    a = F(later) if isinstance(later, str) else later
    b = F(earlier) if isinstance(earlier, str) else earlier
    return ExpressionWrapper(a - b, output_field=DurationField())


def wait_bucket(expression: ExpressionWrapper) -> Case:
    """The histogram bucket (its upper edge in seconds, as text) of a duration."""
    return Case(
        *(When(_lte_condition(expression, edge), then=Value(str(edge))) for edge in WAIT_EDGES),
        default=Value(OPEN_BUCKET),
    )


def _lte_condition(expression: ExpressionWrapper, edge: int) -> Any:
    from django.db.models.lookups import LessThanOrEqual

    return LessThanOrEqual(expression, Value(timedelta(seconds=edge), DurationField()))


def grouped(
    qs: QuerySet[Any],
    *,
    moment: str,
    institution: str,
    name: str,
    start: date,
    end: date,
    key: Any = None,
    value: Any = None,
    count: Any = None,
) -> Iterator[Row]:
    """Count ``qs``'s rows per local day of ``moment``, institution and ``key`` (an expression
    or nothing), summing ``value`` (a number or a duration, in seconds) alongside."""
    from django.db.models import Count, Sum

    lo, hi = day_bounds(start, end)
    rows = (
        qs.filter(**{f"{moment}__gte": lo, f"{moment}__lt": hi})
        .annotate(
            a_day=TruncDate(moment, tzinfo=zone()),
            a_inst=F(institution),
            a_key=key if key is not None else Value(""),
        )
        .values("a_day", "a_inst", "a_key")
        .annotate(
            a_count=count if count is not None else Count("pk"),
            a_total=Sum(value) if value is not None else Value(0),
        )
        .order_by()
    )
    for r in rows:
        yield Row(
            r["a_day"], r["a_inst"], name, str(r["a_key"]), r["a_count"], _seconds(r["a_total"])
        )


def _previous_event_at() -> Subquery:
    return Subquery(
        BookingEvent.objects.filter(booking_id=OuterRef("booking_id"), at__lt=OuterRef("at"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )


FUNNEL_STEPS: tuple[tuple[str, str], ...] = (
    ("requested", "Requested"),
    ("accepted", "Accepted by the tutor"),
    ("confirmed", "Confirmed"),
    ("completed", "Completed"),
    ("reviewed", "Reviewed"),
    ("rebooked", "Rebooked"),
)


def funnel_rows(start: date, end: date) -> Iterator[Row]:
    """Each step counted on the day it happened; ``total`` is the seconds since the booking's
    previous step (for "reviewed": since the session ended)."""
    learner_inst = "booking__created_by__profile__institution_id"
    events = BookingEvent.objects.all()
    since_previous = duration("at", _previous_event_at())
    common: dict[str, Any] = {
        "moment": "at",
        "institution": learner_inst,
        "start": start,
        "end": end,
    }
    yield from grouped(events.filter(action="request"), name="funnel.requested", **common)
    yield from grouped(
        events.filter(action__in=["accept", "counter"]),
        name="funnel.accepted",
        value=since_previous,
        **common,
    )
    yield from grouped(
        events.filter(action__in=["accept", "accept_counter"], to_status="confirmed"),
        name="funnel.confirmed",
        value=since_previous,
        **common,
    )
    yield from grouped(
        events.filter(action="complete"), name="funnel.completed", value=since_previous, **common
    )
    earlier_review = Review.objects.filter(
        booking_id=OuterRef("booking_id"), created_at__lt=OuterRef("created_at")
    )
    yield from grouped(
        Review.objects.filter(~Exists(earlier_review)),
        moment="created_at",
        institution=learner_inst,
        name="funnel.reviewed",
        value=duration("created_at", "booking__ends_at"),
        start=start,
        end=end,
    )
    completed_before = Booking.objects.filter(
        tutor_id=OuterRef("booking__tutor_id"),
        created_by_id=OuterRef("booking__created_by_id"),
        status=Booking.Status.COMPLETED,
        ends_at__lt=OuterRef("at"),
    )
    yield from grouped(
        events.filter(action="request").filter(Exists(completed_before)),
        name="funnel.rebooked",
        **common,
    )


SESSION_OUTCOMES = ("completed", "no_show", "cancelled", "cancelled_late")


def session_rows(start: date, end: date) -> Iterator[Row]:
    """Sessions by the day they were to start, by outcome; ``total`` is their length."""
    outcome = Case(
        When(status=Booking.Status.CANCELLED, cancelled_late=True, then=Value("cancelled_late")),
        default=F("status"),
    )
    yield from grouped(
        Booking.objects.filter(
            status__in=[Booking.Status.COMPLETED, Booking.Status.NO_SHOW, Booking.Status.CANCELLED]
        ),
        moment="starts_at",
        institution="created_by__profile__institution_id",
        name="sessions.outcome",
        key=outcome,
        value=duration("ends_at", "starts_at"),
        start=start,
        end=end,
    )


def people_rows(start: date, end: date) -> Iterator[Row]:
    yield from grouped(
        User.objects.all(),
        moment="date_joined",
        institution="profile__institution_id",
        name="signups",
        start=start,
        end=end,
    )
    yield from grouped(
        VerificationRequest.objects.all(),
        moment="submitted_at",
        institution="teaching_subject__user__profile__institution_id",
        name="verification.submitted",
        start=start,
        end=end,
    )
    yield from grouped(
        VerificationDecision.objects.all(),
        moment="decided_at",
        institution="request__teaching_subject__user__profile__institution_id",
        name="verification.decided",
        key=F("decision"),
        value=duration("decided_at", "request__submitted_at"),
        start=start,
        end=end,
    )


def help_rows(start: date, end: date) -> Iterator[Row]:
    """Help requests by the day they were asked and what became of them; the accepted ones'
    wait for a tutor as a histogram."""
    common: dict[str, Any] = {
        "moment": "created_at",
        "institution": "learner__profile__institution_id",
        "start": start,
        "end": end,
    }
    yield from grouped(HelpRequest.objects.all(), name="help.requests", key=F("status"), **common)
    accepted = HelpRequest.objects.filter(
        status=HelpRequest.Status.ACCEPTED, closed_at__isnull=False
    )
    wait = duration("closed_at", "created_at")
    yield from grouped(accepted, name="help.wait", key=wait_bucket(wait), value=wait, **common)


def review_rows(start: date, end: date) -> Iterator[Row]:
    """Scores per dimension (key: the score 1–5), by the day the review was written, for the
    reviewed person's institution."""
    for dimension in ALL_DIMENSIONS:
        yield from grouped(
            Review.objects.filter(**{f"{dimension}__isnull": False}, hidden_at__isnull=True),
            moment="created_at",
            institution="subject__profile__institution_id",
            name=f"rating.{dimension}",
            key=F(dimension),
            value=F(dimension),
            start=start,
            end=end,
        )


def judge_rows(start: date, end: date) -> Iterator[Row]:
    """Judged submissions (hidden tests) by verdict, and per language the time from submission
    to verdict (queue wait and judging) as a histogram keyed ``<language>:<bucket>``."""
    from django.db.models.functions import Concat

    judged = Submission.objects.filter(mode=Submission.Mode.SUBMIT, finished_at__isnull=False)
    common: dict[str, Any] = {
        "moment": "finished_at",
        "institution": "user__profile__institution_id",
        "start": start,
        "end": end,
    }
    yield from grouped(judged, name="judge.verdict", key=F("verdict"), **common)
    wait = duration("finished_at", "created_at")
    yield from grouped(
        judged,
        name="judge.wait",
        key=Concat(F("language"), Value(":"), wait_bucket(wait)),
        value=wait,
        **common,
    )


def community_rows(start: date, end: date) -> Iterator[Row]:
    for qs, name in (
        (Thread.objects.all(), "forum.threads"),
        (Reply.objects.all(), "forum.replies"),
        (Message.objects.all(), "messages.sent"),
    ):
        yield from grouped(
            qs,
            moment="created_at",
            institution="author__profile__institution_id",
            name=name,
            start=start,
            end=end,
        )
    yield from grouped(
        Solve.objects.all(),
        moment="solved_at",
        institution="user__profile__institution_id",
        name="practice.solves",
        key=F("problem__difficulty"),
        start=start,
        end=end,
    )


MATCH_STEPS: tuple[tuple[str, str], ...] = (
    ("slates", "Lists shown"),
    ("booked", "Led to a booking"),
    ("completed", "Session completed"),
    ("good", "Rated 4 or more"),
)


def match_rows(start: date, end: date) -> Iterator[Row]:
    """Match success from the impression log (``matching.Impression``), per surface (key):
    lists (slates) shown, counted on the day shown, with their impressions in ``total``; lists
    that led to a booking, on the day it was booked; whose session was completed, on the day
    it ended; whose learner rated it at least 4 overall, on the day of the review. Each step
    counts a list once (distinct slates)."""
    from django.db.models import Count

    slates = Count("slate", distinct=True)
    viewer_inst = "viewer__profile__institution_id"
    common: dict[str, Any] = {"institution": viewer_inst, "start": start, "end": end}
    shown = Impression.objects.all()
    yield from grouped(
        shown, moment="shown_at", name="match.slates", key=F("surface"), count=slates,
        value=Value(1), **common,
    )  # fmt: skip
    booked = Impression.objects.filter(booking__isnull=False)
    yield from grouped(
        booked, moment="booked_at", name="match.booked", key=F("surface"), count=slates, **common
    )
    yield from grouped(
        booked.filter(booking__status=Booking.Status.COMPLETED),
        moment="booking__ends_at",
        name="match.completed",
        key=F("surface"),
        count=slates,
        **common,
    )
    good = Review.objects.filter(
        booking_id=OuterRef("booking_id"),
        author_id=OuterRef("viewer_id"),
        direction=Review.Direction.OF_TUTOR,
        overall__gte=4,
        hidden_at__isnull=True,
    )
    good_at = Subquery(good.order_by("created_at").values("created_at")[:1])
    yield from grouped(
        booked.filter(booking__status=Booking.Status.COMPLETED)
        .filter(Exists(good))
        .annotate(good_at=good_at),
        moment="good_at",
        name="match.good",
        key=F("surface"),
        count=slates,
        **common,
    )


def all_rows(start: date, end: date) -> Iterator[Row]:
    """Every metric of the days ``start``..``end`` except the active-people counts (those
    read ``ActiveUserDay``; see ``services``)."""
    yield from people_rows(start, end)
    yield from funnel_rows(start, end)
    yield from match_rows(start, end)
    yield from session_rows(start, end)
    yield from help_rows(start, end)
    yield from review_rows(start, end)
    yield from judge_rows(start, end)
    yield from community_rows(start, end)


def activity(start: date, end: date) -> set[tuple[date, int]]:
    """(local day, user id) of everyone who did something: submitted code, wrote a message,
    a thread, a reply or a review, or changed a booking."""
    lo, hi = day_bounds(start, end)
    tz = zone()
    sources: tuple[tuple[QuerySet[Any], str, str], ...] = (
        (Submission.objects.all(), "created_at", "user_id"),
        (Message.objects.all(), "created_at", "author_id"),
        (Thread.objects.all(), "created_at", "author_id"),
        (Reply.objects.all(), "created_at", "author_id"),
        (Review.objects.all(), "created_at", "author_id"),
        (BookingEvent.objects.filter(actor__isnull=False), "at", "actor_id"),
    )
    found: set[tuple[date, int]] = set()
    for qs, moment, person in sources:
        # Deduplicated here, not with DISTINCT: PostgreSQL's hash aggregate of a month of a
        # large table spills to disk and took minutes where reading the rows takes a second.
        found.update(
            qs.filter(**{f"{moment}__gte": lo, f"{moment}__lt": hi})
            .annotate(a_day=TruncDate(moment, tzinfo=tz))
            .values_list("a_day", person)
            .order_by()
            .iterator(chunk_size=10_000)
        )
    return found
