"""Reads for reviews: who may see which review, the pending list, profile aggregates.

The blind rule lives in ``revealed_condition`` and nowhere else: a review is revealed once its
counterpart exists (the subject reviewed the author on the same booking) or once the booking's
review window (14 days from its end) has closed. Every read path — pages, API, notifications,
aggregates — goes through ``revealed``/``with_reveal``/``is_revealed``, which all use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC as _UTC
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.accounts.roles import require_moderator
from peerlearn.common.errors import NotFound
from peerlearn.scheduling.models import Booking, TimeClaim

from .models import (
    LEARNER_DIMENSIONS,
    REVIEW_WINDOW,
    TUTOR_DIMENSIONS,
    Review,
    ReviewReport,
    TutorRatingTotal,
    window_closes_at,
)

# The Bayesian average's prior (see docs/reviews.md): a tutor with no reviews is rated m, and
# every review moves them from there. m is the platform's mean, but never above PRIOR_CAP, so a
# single perfect review never outranks a long record of near-perfect ones.
PRIOR_WEIGHT = 5  # C: the prior counts as this many reviews
PRIOR_CAP = 4.0  # m ≤ 4.0; also m when nobody has a (revealed, visible) review yet
PRIOR_CACHE_KEY = "reviews:rating-prior"
PRIOR_CACHE_SECONDS = 60
TREND_MONTHS = 6
RECENT_COMMENTS = 5


# --- the blind rule -----------------------------------------------------------------------------


def revealed_condition(now: datetime | None = None) -> Q:
    """THE reveal rule, as a condition on ``Review`` rows: the subject has reviewed the author
    on the same booking, or the booking's review window has closed."""
    now = now or timezone.now()
    counterpart = Review.objects.filter(
        booking=OuterRef("booking"), author=OuterRef("subject"), subject=OuterRef("author")
    )
    return Q(Exists(counterpart)) | Q(booking__ends_at__lte=now - REVIEW_WINDOW)


def revealed(qs: QuerySet[Review], now: datetime | None = None) -> QuerySet[Review]:
    return qs.filter(revealed_condition(now))


def with_reveal(qs: QuerySet[Review], now: datetime | None = None) -> QuerySet[Review]:
    """Annotate ``is_revealed_now`` (read it with ``is_revealed``)."""
    return qs.annotate(
        is_revealed_now=ExpressionWrapper(revealed_condition(now), output_field=BooleanField())
    )


def is_revealed(review: Review, now: datetime | None = None) -> bool:
    annotated = getattr(review, "is_revealed_now", None)
    if annotated is not None and now is None:
        return bool(annotated)
    return revealed(Review.objects.filter(pk=review.pk), now).exists()


def visible(qs: QuerySet[Review], now: datetime | None = None) -> QuerySet[Review]:
    """What the public (and the subject) may read: revealed and not hidden."""
    return revealed(qs.filter(hidden_at__isnull=True), now)


# --- participants -------------------------------------------------------------------------------


def learners_of(booking: Booking) -> list[User]:
    """The learners who kept their seat (active learner claims), by name order of joining."""
    claims = (
        TimeClaim.objects.filter(booking=booking, role=TimeClaim.Role.LEARNER, active=True)
        .select_related("user__profile")
        .order_by("created_at", "pk")
    )
    return [c.user for c in claims]


def is_participant(user: User, booking: Booking) -> bool:
    if not user.is_authenticated:
        return False
    if booking.tutor_id == user.pk:
        return True
    return TimeClaim.objects.filter(
        booking=booking, user=user, role=TimeClaim.Role.LEARNER, active=True
    ).exists()


def subjects_for(user: User, booking: Booking) -> list[User]:
    """Whom ``user`` reviews on ``booking``: a learner the tutor, the tutor each learner;
    nobody for a non-participant."""
    if booking.tutor_id == user.pk:
        return [learner for learner in learners_of(booking) if learner.pk != user.pk]
    if is_participant(user, booking):
        return [booking.tutor]
    return []


def review_window_open(booking: Booking, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return booking.status == Booking.Status.COMPLETED and now <= window_closes_at(booking)


def can_edit(review: Review, now: datetime | None = None) -> bool:
    """The author may change a review for 48 hours after its first submission, but not once it
    is revealed: nobody rewrites their review after reading the other side's. Without ``now``
    a ``with_reveal`` annotation answers the reveal part without a query."""
    return (now or timezone.now()) < review.edit_until and not is_revealed(review, now)


# --- single reviews -----------------------------------------------------------------------------


def _base() -> QuerySet[Review]:
    return Review.objects.select_related(
        "author__profile", "subject__profile", "booking__subject", "booking__tutor__profile"
    )


def access_review(*, user: User, review_id: int) -> Review:
    """A review the user may read: their own; one about them once revealed and not hidden; a
    learner's review of the tutor, revealed and not hidden, for any participant of the booking
    (it is on the tutor's public profile anyway); any revealed review for a moderator. Anything
    else is ``NotFound`` — the same answer as for a review that does not exist."""
    review = with_reveal(_base().filter(pk=review_id)).first()
    if review is None or not user.is_authenticated:
        raise NotFound("No such review.")
    if review.author_id == user.pk:
        return review
    if not is_revealed(review):
        raise NotFound("No such review.")
    if user.is_moderator:
        return review
    if review.is_hidden:
        raise NotFound("No such review.")
    if review.subject_id == user.pk:
        return review
    if review.direction == Review.Direction.OF_TUTOR and is_participant(user, review.booking):
        return review
    raise NotFound("No such review.")


def access_reviewable_booking(*, user: User, booking_id: int) -> Booking:
    """A completed booking the user took part in (any time); NotFound otherwise."""
    booking = (
        Booking.objects.select_related("tutor__profile", "subject__parent")
        .filter(pk=booking_id, status=Booking.Status.COMPLETED)
        .first()
    )
    if booking is None or not is_participant(user, booking):
        raise NotFound("No such session to review.")
    return booking


# --- a booking from one participant's side ------------------------------------------------------


@dataclass
class PairState:
    """One person ``user`` reviews on a booking, and what each side wrote."""

    subject: User
    mine: Review | None
    theirs: Review | None  # revealed and not hidden only; None otherwise
    theirs_submitted: bool  # whether they reviewed the user (never more than that before reveal)
    theirs_hidden: bool  # revealed, but a moderator hid it
    can_write: bool
    can_edit: bool


@dataclass
class ReviewState:
    booking: Booking
    can_review: bool  # something is left to write now
    mine: list[Review]
    theirs_revealed: list[Review]
    due_until: datetime
    pairs: list[PairState] = field(default_factory=list)
    url: str = ""


def review_state_for(user: User, booking: Booking) -> ReviewState:
    """Everything a participant's page about ``booking`` needs: what they wrote, what was
    written about them and may be read now, what is left to write, and until when. For a
    non-participant or a booking that is not completed, nothing (``can_review`` False)."""
    due = window_closes_at(booking)
    url = f"/reviews/bookings/{booking.pk}/"
    if booking.status != Booking.Status.COMPLETED or not is_participant(user, booking):
        return ReviewState(booking, False, [], [], due, [], url)
    now = timezone.now()
    window_open = now <= due
    mine = {r.subject_id: r for r in with_reveal(_base().filter(booking=booking, author=user))}
    about_me = {r.author_id: r for r in with_reveal(_base().filter(booking=booking, subject=user))}
    pairs: list[PairState] = []
    for person in subjects_for(user, booking):
        my_review = mine.get(person.pk)
        their_review = about_me.get(person.pk)
        shown = (
            their_review
            if their_review is not None and is_revealed(their_review) and not their_review.is_hidden
            else None
        )
        pairs.append(
            PairState(
                subject=person,
                mine=my_review,
                theirs=shown,
                theirs_submitted=their_review is not None,
                theirs_hidden=their_review is not None
                and their_review.is_hidden
                and is_revealed(their_review),
                can_write=my_review is None and window_open,
                can_edit=my_review is not None and can_edit(my_review),
            )
        )
    theirs = [p.theirs for p in pairs if p.theirs is not None]
    return ReviewState(
        booking=booking,
        can_review=any(p.can_write for p in pairs),
        mine=[p.mine for p in pairs if p.mine is not None],
        theirs_revealed=theirs,
        due_until=due,
        pairs=pairs,
        url=url,
    )


# --- "My reviews" -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingReview:
    booking: Booking
    subject: User
    due_until: datetime


def pending_for(user: User, now: datetime | None = None) -> list[PendingReview]:
    """Reviews ``user`` can still write, soonest deadline first."""
    now = now or timezone.now()
    seated = (
        TimeClaim.objects.filter(role=TimeClaim.Role.LEARNER, active=True)
        .select_related("user__profile")
        .order_by("created_at", "pk")
    )
    bookings = (
        Booking.objects.filter(
            status=Booking.Status.COMPLETED, ends_at__gt=now - REVIEW_WINDOW, ends_at__lte=now
        )
        .filter(
            Q(tutor=user)
            | Q(claims__user=user, claims__role=TimeClaim.Role.LEARNER, claims__active=True)
        )
        .select_related("tutor__profile", "subject")
        .prefetch_related(Prefetch("claims", seated, to_attr="seated"))
        .distinct()
        .order_by("ends_at", "pk")
    )
    done = set(
        Review.objects.filter(author=user, booking__in=bookings).values_list(
            "booking_id", "subject_id"
        )
    )
    pending = []
    for booking in bookings:
        # subjects_for without a query per booking: the filter above made ``user`` its tutor or
        # a seated learner, and the seated learners are prefetched.
        if booking.tutor_id == user.pk:
            claims: list[TimeClaim] = booking.seated
            people = [c.user for c in claims if c.user_id != user.pk]
        else:
            people = [booking.tutor]
        for person in people:
            if (booking.pk, person.pk) not in done:
                pending.append(PendingReview(booking, person, window_closes_at(booking)))
    return pending


def written_by(user: User) -> QuerySet[Review]:
    return with_reveal(_base().filter(author=user))


def received_by(user: User) -> QuerySet[Review]:
    """Reviews about ``user`` they may read: revealed and not hidden."""
    return with_reveal(visible(_base().filter(subject=user)))


def for_booking(user: User, booking: Booking) -> list[Review]:
    """The reviews of a booking ``user`` may read: their own, and those about them once revealed
    (hidden ones left out)."""
    mine = _base().filter(booking=booking, author=user)
    about_me = visible(_base().filter(booking=booking, subject=user))
    return list(with_reveal(mine | about_me).order_by("created_at", "pk"))


# --- aggregates ---------------------------------------------------------------------------------


def _float(value: Decimal | float | None) -> float | None:
    return None if value is None else round(float(value), 2)


@dataclass(frozen=True)
class TrendPoint:
    month: date  # the first day of the month (UTC)
    average: float | None
    count: int


@dataclass(frozen=True)
class RecentComment:
    review_id: int
    author_name: str
    created_at: datetime
    comment: str
    tags: list[str]
    overall: float


@dataclass(frozen=True)
class TutorRating:
    bayesian: float  # the prior m when count == 0
    count: int
    average: float | None  # the plain mean of the overall scores
    per_dimension: dict[str, float | None]
    trend: list[TrendPoint]
    recent: list[RecentComment]
    prior: float
    prior_weight: int


@dataclass(frozen=True)
class LearnerRating:
    count: int
    per_dimension: dict[str, float | None]


def tutor_reviews_visible() -> QuerySet[Review]:
    """Every learner → tutor review anyone may read: what ratings are made of."""
    return visible(Review.objects.filter(direction=Review.Direction.OF_TUTOR))


def rating_prior() -> float:
    """m: the mean overall score of all revealed, visible learner → tutor reviews, capped at
    ``PRIOR_CAP`` (and equal to it when there are none). Summed from the stored totals (one row
    per reviewed tutor) and cached for ``PRIOR_CACHE_SECONDS``; ``services.rating_totals_refresh``
    forgets it whenever a total changes (with a per-process cache, other processes see the new
    value within that time)."""
    cached = cache.get(PRIOR_CACHE_KEY)
    if cached is not None:
        return float(cached)
    sums = TutorRatingTotal.objects.aggregate(total=Sum("total"), n=Sum("count"))
    prior = PRIOR_CAP if not sums["n"] else min(float(sums["total"]) / sums["n"], PRIOR_CAP)
    cache.set(PRIOR_CACHE_KEY, prior, PRIOR_CACHE_SECONDS)
    return prior


def rating_prior_forget() -> None:
    cache.delete(PRIOR_CACHE_KEY)


def bayesian_average(
    *, total: float, count: int, prior: float, weight: int = PRIOR_WEIGHT
) -> float:
    """(C·m + Σ scores) / (C + n)."""
    return (weight * prior + total) / (weight + count)


def stored_rating_annotations(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Annotate a queryset of tutors with ``rating_count`` and the Bayesian ``rating``:
    ``bayesian_average`` as SQL, over the stored ``TutorRatingTotal`` (one left-joined row per
    tutor, so filtering and sorting thousands of tutors by rating stays cheap)."""
    prior = rating_prior()
    qs = qs.annotate(
        rating_count=Coalesce(F("rating_total__count"), Value(0)),
        rating_sum=Coalesce(F("rating_total__total"), Value(Decimal(0))),
    )
    return qs.annotate(
        rating=ExpressionWrapper(
            (Value(PRIOR_WEIGHT * prior) + Cast("rating_sum", FloatField()))
            / (Value(float(PRIOR_WEIGHT)) + F("rating_count")),
            output_field=FloatField(),
        )
    )


def _months_back(today: date, n: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _ in range(n):
        months.append(date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def tutor_rating(user: User) -> TutorRating:
    """What a tutor's profile shows: the Bayesian average (prior ``rating_prior``, weight
    ``PRIOR_WEIGHT``), the count, per-dimension means, monthly means over the last six months
    (by the session's end, UTC) and the latest comments — all from revealed, visible
    learner → tutor reviews."""
    mine = tutor_reviews_visible().filter(subject=user)
    agg = mine.aggregate(
        n=Count("pk"),
        total=Sum("overall"),
        mean=Avg("overall"),
        **{name: Avg(name) for name in TUTOR_DIMENSIONS},
    )
    count = int(agg["n"] or 0)
    prior = rating_prior()
    bayes = bayesian_average(total=float(agg["total"] or 0), count=count, prior=prior)

    now = timezone.now()
    months = _months_back(now.astimezone(_UTC).date(), TREND_MONTHS)
    start = datetime(months[0].year, months[0].month, 1, tzinfo=_UTC)
    buckets: dict[date, list[float]] = {m: [] for m in months}
    for ends_at, overall in mine.filter(booking__ends_at__gte=start).values_list(
        "booking__ends_at", "overall"
    ):
        key = ends_at.astimezone(_UTC).date().replace(day=1)
        if key in buckets:
            buckets[key].append(float(overall))
    trend = [
        TrendPoint(m, round(sum(v) / len(v), 2) if v else None, len(v)) for m, v in buckets.items()
    ]

    recent = [
        RecentComment(
            review_id=r.pk,
            author_name=r.author.display_name,
            created_at=r.created_at,
            comment=r.comment,
            tags=r.tag_labels,
            overall=float(r.overall),
        )
        for r in mine.exclude(comment="")
        .select_related("author__profile")
        .order_by("-created_at", "-pk")[:RECENT_COMMENTS]
    ]
    return TutorRating(
        bayesian=round(bayes, 2),
        count=count,
        average=_float(agg["mean"]),
        per_dimension={name: _float(agg[name]) for name in TUTOR_DIMENSIONS},
        trend=trend,
        recent=recent,
        prior=round(prior, 2),
        prior_weight=PRIOR_WEIGHT,
    )


def learner_rating(user: User) -> LearnerRating:
    """Tutors' view of a learner, in aggregate only (no comments, no names)."""
    agg = visible(
        Review.objects.filter(direction=Review.Direction.OF_LEARNER, subject=user)
    ).aggregate(n=Count("pk"), **{name: Avg(name) for name in LEARNER_DIMENSIONS})
    return LearnerRating(
        count=int(agg["n"] or 0),
        per_dimension={name: _float(agg[name]) for name in LEARNER_DIMENSIONS},
    )


def sessions_rated_at_least(user: User, threshold: float) -> int:
    """Completed sessions taught by ``user`` whose rating — the mean overall score of its
    revealed, visible learner reviews (one learner: that review) — is at least ``threshold``."""
    return (
        tutor_reviews_visible()
        .filter(subject=user, booking__tutor=user, booking__status=Booking.Status.COMPLETED)
        .values("booking_id")
        .annotate(session_rating=Avg("overall"))
        .filter(session_rating__gte=threshold)
        .count()
    )


# --- moderation ---------------------------------------------------------------------------------


def moderation_queue(*, actor: User | None = None) -> QuerySet[Review]:
    """Reviews with open reports, most reported first (a hidden review leaves the queue).
    Moderators only (``Forbidden``; ``actor`` None: the system)."""
    require_moderator(actor)
    open_reports = ReviewReport.objects.filter(resolved_at__isnull=True)
    return (
        _base()
        .filter(hidden_at__isnull=True, pk__in=open_reports.values("review_id"))
        .annotate(
            open_reports=Count("reports", filter=Q(reports__resolved_at__isnull=True)),
        )
        .prefetch_related("reports")
        .order_by("-open_reports", "created_at")
    )


def hidden_reviews(*, actor: User | None = None) -> QuerySet[Review]:
    require_moderator(actor)
    return _base().filter(hidden_at__isnull=False).select_related("hidden_by__profile")
