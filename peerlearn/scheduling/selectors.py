"""Reads for scheduling: bookable slots, a person's sessions, reliability, calendar feeds."""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.accounts.selectors import (
    availability_exceptions_for,
    availability_for,
    day_intervals,
)
from peerlearn.accounts.services import profile_ensure
from peerlearn.common.errors import NotFound

from .models import Booking, CalendarFeed, RescheduleProposal, TimeClaim, TutorPolicy

DURATIONS = (30, 45, 60, 90)
SLOT_STEP = timedelta(minutes=30)


def policy_for(tutor: User) -> TutorPolicy:
    """The tutor's policy, or an unsaved one holding the defaults."""
    try:
        return tutor.tutor_policy
    except TutorPolicy.DoesNotExist:
        return TutorPolicy(user=tutor)


def tutor_claim_period(
    policy: TutorPolicy, starts_at: datetime, ends_at: datetime
) -> tuple[datetime, datetime]:
    """The period a tutor is busy for a session: the session plus their buffers."""
    return (
        starts_at - timedelta(minutes=policy.buffer_before_minutes),
        ends_at + timedelta(minutes=policy.buffer_after_minutes),
    )


class BusyTimes:
    """A user's active claims in a period, for O(log n) overlap tests."""

    def __init__(
        self, user: User, start: datetime, end: datetime, *, exclude_booking: int | None = None
    ) -> None:
        qs = TimeClaim.objects.filter(user=user, active=True, starts_at__lt=end, ends_at__gt=start)
        if exclude_booking is not None:
            qs = qs.exclude(booking_id=exclude_booking)
        periods = sorted(qs.values_list("starts_at", "ends_at"))
        self._starts = [p[0] for p in periods]
        # _latest_end[i]: the latest end among the first i+1 claims (sorted by start).
        self._latest_end: list[datetime] = []
        for _, claim_end in periods:
            previous = self._latest_end[-1] if self._latest_end else claim_end
            self._latest_end.append(max(previous, claim_end))

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Does [start, end) overlap a claim? Only claims starting before ``end`` can; among
        them, one overlaps exactly when the latest of their ends is after ``start``."""
        i = bisect.bisect_left(self._starts, end)
        return i > 0 and self._latest_end[i - 1] > start


def free_intervals(user: User, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The user's weekly availability and dated exceptions as aware intervals within a period."""
    tz = ZoneInfo(profile_ensure(user=user).timezone)
    windows = availability_for(user=user)
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    exceptions = [
        x for x in availability_exceptions_for(user=user, from_date=first) if x.date <= last
    ]
    result: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        todays = [x for x in exceptions if x.date == day]
        for s, e in day_intervals(day, tz, windows, todays):
            s, e = max(s, start), min(e, end)
            if s < e:
                result.append((s, e))
        day += timedelta(days=1)
    return result


def intersect(
    a: list[tuple[datetime, datetime]], b: list[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    out = []
    i = j = 0
    a, b = sorted(a), sorted(b)
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


def bookable_slots(
    *,
    tutor: User,
    duration_minutes: int,
    start: datetime | None = None,
    end: datetime | None = None,
    learner: User | None = None,
    exclude_booking: int | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """Start times a learner can request: inside the tutor's availability (weekly windows and
    dated exceptions, in the tutor's time zone), not clashing with the tutor's active bookings
    including buffers, after the minimum notice, within the horizon, and on days below the
    tutor's daily cap. With ``learner``, only times when the learner is free too (their
    availability, and no clash with their own bookings)."""
    if duration_minutes not in DURATIONS:
        return []
    policy = policy_for(tutor)
    now = now or timezone.now()
    earliest = now + timedelta(hours=policy.min_notice_hours)
    start = max(start or now, earliest)
    end = min(
        end or now + timedelta(weeks=policy.horizon_weeks),
        now + timedelta(weeks=policy.horizon_weeks),
    )
    if start >= end:
        return []
    duration = timedelta(minutes=duration_minutes)
    intervals = free_intervals(tutor, start, end)
    if learner is not None:
        intervals = intersect(intervals, free_intervals(learner, start, end))
    margin = timedelta(minutes=policy.buffer_before_minutes + policy.buffer_after_minutes + 24 * 60)
    tutor_busy = BusyTimes(tutor, start - margin, end + margin, exclude_booking=exclude_booking)
    learner_busy = (
        BusyTimes(learner, start, end, exclude_booking=exclude_booking) if learner else None
    )
    tutor_tz = ZoneInfo(profile_ensure(user=tutor).timezone)
    per_day = Counter(
        starts.astimezone(tutor_tz).date()
        for starts in Booking.objects.filter(
            tutor=tutor,
            status__in=Booking.ACTIVE_STATUSES,
            starts_at__gte=start - timedelta(days=1),
            starts_at__lt=end + timedelta(days=1),
        )
        .exclude(pk=exclude_booking or 0)
        .values_list("starts_at", flat=True)
    )
    slots: list[Slot] = []
    for s, e in intervals:
        cursor = _align(s, tutor_tz)
        while cursor + duration <= e:
            if cursor >= start:
                finish = cursor + duration
                claim = tutor_claim_period(policy, cursor, finish)
                if (
                    per_day[cursor.astimezone(tutor_tz).date()] < policy.max_sessions_per_day
                    and not tutor_busy.overlaps(*claim)
                    and not (learner_busy and learner_busy.overlaps(cursor, finish))
                ):
                    slots.append(Slot(cursor, finish))
            cursor += SLOT_STEP
    return sorted(set(slots), key=lambda slot: slot.starts_at)


def _align(moment: datetime, tz: ZoneInfo) -> datetime:
    """Round up to the next :00 or :30 in the tutor's local time."""
    local = moment.astimezone(tz)
    minutes = (local.minute // 30) * 30
    aligned = local.replace(minute=minutes, second=0, microsecond=0)
    if aligned < local:
        aligned += SLOT_STEP
    return aligned.astimezone(moment.tzinfo)


def slots_by_day(slots: list[Slot], viewer_tz: str) -> list[tuple[date, list[Slot]]]:
    """Group slots by the viewer's local date."""
    tz = ZoneInfo(viewer_tz)
    days: dict[date, list[Slot]] = {}
    for slot in slots:
        days.setdefault(slot.starts_at.astimezone(tz).date(), []).append(slot)
    return sorted(days.items())


def access_booking(*, user: User, booking_id: int) -> Booking:
    """A booking the user takes part in (tutor or learner, past or present); NotFound otherwise.
    Moderators do not see bookings: they are private between their participants."""
    booking = (
        Booking.objects.select_related("tutor__profile", "subject__parent")
        .prefetch_related(Prefetch("claims", TimeClaim.objects.select_related("user__profile")))
        .filter(pk=booking_id)
        .filter(Q(tutor=user) | Q(claims__user=user))
        .distinct()
        .first()
    )
    if booking is None:
        raise NotFound("No such session.")
    return booking


def learners_of(booking: Booking) -> list[User]:
    return [c.user for c in booking.claims.all() if c.role == TimeClaim.Role.LEARNER and c.active]


def learner_claims(booking: Booking) -> list[TimeClaim]:
    """Who the learners are: those holding a seat, or for a declined or cancelled booking
    (whose claims were released) everyone who held one. Uses prefetched claims."""
    claims = [c for c in booking.claims.all() if c.role == TimeClaim.Role.LEARNER]
    if booking.status in (Booking.Status.DECLINED, Booking.Status.CANCELLED):
        return claims
    return [c for c in claims if c.active]


def pending_proposal(booking: Booking) -> RescheduleProposal | None:
    """The booking's open reschedule proposal, if any (uses prefetched proposals)."""
    pending = [
        p
        for p in booking.reschedule_proposals.all()
        if p.status == RescheduleProposal.Status.PENDING
    ]
    return pending[0] if pending else None


# Every action on a booking, named as the API's and the page's endpoints name them, in the order
# buttons and lists show them.
BOOKING_ACTIONS = (
    "accept",
    "counter",
    "counter_accept",
    "decline",
    "reschedule",
    "respond_reschedule",
    "cancel",
    "leave",
    "complete",
    "no_show",
)


def allowed_actions(
    booking: Booking, user: User | None, *, now: datetime | None = None
) -> tuple[str, ...]:
    """What ``user`` may do with the booking now: the one rule the session page's buttons, the
    API's ``actions`` and the services' guards all follow. Someone who is not (or no longer) in
    the booking may do nothing. Uses prefetched claims and reschedule proposals."""
    if user is None:
        return ()
    is_tutor = booking.tutor_id == user.pk
    if not is_tutor and all(c.user_id != user.pk for c in learner_claims(booking)):
        return ()
    now = now or timezone.now()
    started, ended = now >= booking.starts_at, now >= booking.ends_at
    status = booking.status
    allowed: set[str] = set()
    if status == Booking.Status.REQUESTED:
        if is_tutor:
            allowed |= {"decline"} if started else {"accept", "decline", "counter"}
        elif not started:
            allowed.add("cancel")
    elif status == Booking.Status.COUNTERED:
        if not is_tutor:
            allowed |= {"decline"} if started else {"counter_accept", "decline", "cancel"}
        elif not started:
            allowed.add("cancel")
    elif status == Booking.Status.CONFIRMED:
        if ended:
            allowed |= {"complete", "no_show"}
        elif not started and booking.kind == Booking.Kind.GROUP:
            allowed.add("cancel" if is_tutor else "leave")
        elif not started:
            allowed |= {"reschedule", "cancel"}
            proposal = pending_proposal(booking)
            if proposal is not None and proposal.proposed_by_id != user.pk:
                allowed.add("respond_reschedule")
    return tuple(action for action in BOOKING_ACTIONS if action in allowed)


def _unshown_profile_fields(prefix: str) -> list[str]:
    """Profile columns a list of sessions never shows (three are JSON, decoded per row)."""
    names = ("bio", "languages", "learning_styles", "session_formats", "latitude", "longitude")
    return [prefix + name for name in names]


def sessions_for(*, user: User) -> dict[str, QuerySet[Booking]]:
    """ "My sessions": upcoming confirmed, pending requests both ways, past, and cancelled."""
    now = timezone.now()
    as_learner = TimeClaim.objects.filter(user=user, role=TimeClaim.Role.LEARNER)
    mine = (
        # Not a join with the claims: that repeats a booking per claim and needs a DISTINCT
        # over whole rows.
        Booking.objects.filter(Q(tutor=user) | Q(pk__in=as_learner.values("booking_id")))
        .select_related("tutor__profile", "subject__parent")
        .defer(*_unshown_profile_fields("tutor__profile__"))
        .prefetch_related(
            Prefetch(
                "claims",
                TimeClaim.objects.select_related("user__profile").defer(
                    *_unshown_profile_fields("user__profile__")
                ),
            ),
            Prefetch("reschedule_proposals", RescheduleProposal.objects.filter(status="pending")),
        )
    )
    pending = (Booking.Status.REQUESTED, Booking.Status.COUNTERED)
    return {
        "upcoming": mine.filter(status=Booking.Status.CONFIRMED, ends_at__gte=now).order_by(
            "starts_at"
        ),
        "incoming": mine.filter(status__in=pending, tutor=user).order_by("starts_at"),
        "outgoing": mine.filter(status__in=pending).exclude(tutor=user).order_by("starts_at"),
        "past": mine.filter(
            Q(status__in=[Booking.Status.COMPLETED, Booking.Status.NO_SHOW])
            | Q(status=Booking.Status.CONFIRMED, ends_at__lt=now)
        ).order_by("-starts_at"),
        "cancelled": mine.filter(
            status__in=[Booking.Status.CANCELLED, Booking.Status.DECLINED]
        ).order_by("-starts_at"),
    }


def open_group_sessions(*, tutor: User | None = None) -> QuerySet[Booking]:
    qs = Booking.objects.filter(
        kind=Booking.Kind.GROUP, status=Booking.Status.CONFIRMED, starts_at__gt=timezone.now()
    ).select_related("tutor__profile", "subject")
    if tutor is not None:
        qs = qs.filter(tutor=tutor)
    return qs.order_by("starts_at")


def seats_taken(booking: Booking) -> int:
    return booking.claims.filter(role=TimeClaim.Role.LEARNER, active=True).count()


@dataclass(frozen=True)
class Reliability:
    sessions: int
    late_cancellations: int
    no_shows: int

    @property
    def score(self) -> float:
        """Share of commitments kept, with a prior of 5 kept sessions so one early slip
        does not ruin a newcomer: (kept + 5) / (total + 5)."""
        slips = self.late_cancellations + self.no_shows
        return (self.sessions - slips + 5) / (self.sessions + 5)

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def reliability_for(*, user: User) -> Reliability:
    """Late cancellations by this user and no-shows of this user, over their finished or
    cancelled bookings."""
    bookings = Booking.objects.filter(Q(tutor=user) | Q(claims__user=user)).distinct()
    finished = bookings.filter(
        status__in=[Booking.Status.COMPLETED, Booking.Status.NO_SHOW, Booking.Status.CANCELLED]
    )
    late = bookings.filter(
        status=Booking.Status.CANCELLED,
        cancelled_late=True,
        events__action="cancel",
        events__actor=user,
    ).distinct()
    return Reliability(
        sessions=finished.count(),
        late_cancellations=late.count(),
        no_shows=bookings.filter(status=Booking.Status.NO_SHOW, no_show_user=user).count(),
    )


def calendar_feed_for(*, user: User) -> CalendarFeed:
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return feed


def feed_owner(*, token: str) -> User:
    try:
        return (
            CalendarFeed.objects.select_related("user").get(token=token, user__is_active=True).user
        )
    except CalendarFeed.DoesNotExist as exc:
        raise NotFound("Unknown calendar feed.") from exc


def feed_bookings(*, user: User) -> QuerySet[Booking]:
    """The user's confirmed sessions (and completed ones of the last 90 days) for the ICS feed."""
    since = timezone.now() - timedelta(days=90)
    return (
        Booking.objects.filter(
            Q(tutor=user) | Q(claims__user=user, claims__active=True),
            status__in=[Booking.Status.CONFIRMED, Booking.Status.COMPLETED],
            starts_at__gte=since,
        )
        .distinct()
        .select_related("tutor__profile", "subject")
        .order_by("starts_at")
    )


def cancellation_cutoff() -> timedelta:
    return timedelta(hours=settings.BOOKING_CANCELLATION_CUTOFF_HOURS)
