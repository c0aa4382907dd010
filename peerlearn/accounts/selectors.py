"""Reads for accounts: profiles, institutions, subjects, availability and verification.

``access_*`` functions fetch *with* the permission check and raise ``NotFound``/``Forbidden``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db.models import Count, Prefetch, Q, QuerySet

from peerlearn.common.errors import NotFound

from .models import (
    AvailabilityException,
    AvailabilityWindow,
    Institution,
    InstitutionDomain,
    LearningSubject,
    Profile,
    Subject,
    TeachingSubject,
    User,
    VerificationRequest,
)
from .roles import require_moderator


def user_get_public(*, user_id: int) -> User:
    """An active user with everything the public profile page shows."""
    try:
        return (
            User.objects.filter(is_active=True)
            .select_related("profile", "profile__institution")
            .prefetch_related(
                Prefetch(
                    "teaching_subjects", TeachingSubject.objects.select_related("subject__parent")
                ),
                Prefetch(
                    "learning_subjects", LearningSubject.objects.select_related("subject__parent")
                ),
            )
            .get(pk=user_id)
        )
    except User.DoesNotExist as exc:
        raise NotFound("No such person.") from exc


def institution_list_with_member_counts() -> QuerySet[Institution]:
    return (
        Institution.objects.annotate(
            member_count=Count("members", filter=Q(members__user__is_active=True))
        )
        .prefetch_related("domains")
        .order_by("-member_count", "name")
    )


def institution_for_email(email: str) -> Institution | None:
    """The institution owning the address's domain, or one of its parent domains."""
    domain = email.rsplit("@", 1)[-1].lower().strip()
    parts = domain.split(".")
    candidates = [".".join(parts[i:]) for i in range(len(parts) - 1)]
    if not candidates:
        return None
    rows = InstitutionDomain.objects.filter(domain__in=candidates).select_related("institution")
    matches = {row.domain: row.institution for row in rows}
    for candidate in candidates:  # most specific first
        if candidate in matches:
            return matches[candidate]
    return None


def subject_tree() -> list[Subject]:
    """All areas with their subjects and topics prefetched (four queries; the last one loads the
    topics' (empty) children so serialising the tree never queries per node)."""
    topics = Prefetch("children", Subject.objects.prefetch_related("children").order_by("name"))
    subjects = Prefetch("children", Subject.objects.prefetch_related(topics).order_by("name"))
    return list(
        Subject.objects.filter(parent__isnull=True).prefetch_related(subjects).order_by("name")
    )


def subject_choices() -> list[tuple[int, str]]:
    """Subjects and topics as (id, "Area › Subject › Topic") pairs, for pickers."""
    rows = Subject.objects.select_related("parent__parent").exclude(kind=Subject.Kind.AREA)
    out = []
    for s in rows:
        path = [s.name]
        node = s.parent
        while node is not None:
            path.append(node.name)
            node = node.parent
        out.append((s.pk, " › ".join(reversed(path))))
    return sorted(out, key=lambda pair: pair[1])


def subject_search(*, query: str, limit: int = 50) -> QuerySet[Subject]:
    qs = Subject.objects.select_related("parent")
    if query:
        qs = qs.filter(name__icontains=query)
    return qs.order_by("kind", "name")[:limit]


def availability_for(*, user: User) -> list[AvailabilityWindow]:
    return list(AvailabilityWindow.objects.filter(user=user).order_by("weekday", "start_time"))


def availability_exceptions_for(
    *, user: User, from_date: date | None = None
) -> list[AvailabilityException]:
    qs = AvailabilityException.objects.filter(user=user)
    if from_date is not None:
        qs = qs.filter(date__gte=from_date)
    return list(qs.order_by("date", "start_time"))


WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def availability_week_grid(
    *,
    owner: User,
    viewer_tz: str,
    start_hour: int = 6,
    end_hour: int = 24,
    week_of: date | None = None,
) -> dict[str, object]:
    """The owner's weekly windows for one concrete week, as hour rows × 7 day columns in the
    viewer's time zone (a window is converted through real dates, so DST is respected)."""
    owner_tz = ZoneInfo(owner.profile.timezone)
    view_tz = ZoneInfo(viewer_tz)
    today = week_of or datetime.now(view_tz).date()
    monday = today - timedelta(days=today.weekday())
    windows = availability_for(user=owner)
    # The owner's days around the viewed week (a day of margin each side for time-zone shifts).
    first_day, last_day = monday - timedelta(days=1), monday + timedelta(days=8)
    exceptions = availability_exceptions_for(user=owner, from_date=first_day)
    intervals: list[tuple[datetime, datetime]] = []
    for day in (first_day + timedelta(days=n) for n in range((last_day - first_day).days)):
        todays = [x for x in exceptions if x.date == day]
        intervals.extend(
            (s.astimezone(view_tz), e.astimezone(view_tz))
            for s, e in day_intervals(day, owner_tz, windows, todays)
        )
    slots: list[list[bool]] = []
    hours = list(range(start_hour, end_hour))
    for hour in hours:
        row = []
        for d in range(7):
            day = monday + timedelta(days=d)
            cell_start = datetime.combine(day, time(hour), view_tz)
            cell_end = cell_start + timedelta(hours=1)
            row.append(any(s < cell_end and e > cell_start for s, e in intervals))
        slots.append(row)
    return {
        "days": [(WEEKDAY_NAMES[d][:3], monday + timedelta(days=d)) for d in range(7)],
        "rows": [(f"{h:02d}:00", slots[i]) for i, h in enumerate(hours)],
        "timezone": viewer_tz,
        "empty": not windows,
    }


def day_intervals(
    day: date,
    tz: ZoneInfo,
    windows: list[AvailabilityWindow],
    exceptions: list[AvailabilityException],
) -> list[tuple[datetime, datetime]]:
    """One owner-local day's free intervals as aware datetimes: the weekly windows for that
    weekday, minus the day's "unavailable" exceptions, plus its "extra availability"."""

    def at(t: time) -> datetime:
        return datetime.combine(day, t, tz)

    free = [(at(w.start_time), at(w.end_time)) for w in windows if w.weekday == day.weekday()]
    for exc in exceptions:
        if exc.kind == AvailabilityException.Kind.AVAILABLE:
            assert exc.start_time is not None and exc.end_time is not None
            free.append((at(exc.start_time), at(exc.end_time)))
    for exc in exceptions:
        if exc.kind != AvailabilityException.Kind.UNAVAILABLE:
            continue
        if exc.is_whole_day:
            return []
        assert exc.start_time is not None and exc.end_time is not None
        cut_start, cut_end = at(exc.start_time), at(exc.end_time)
        remaining = []
        for start, end in free:
            if end <= cut_start or start >= cut_end:
                remaining.append((start, end))
                continue
            if start < cut_start:
                remaining.append((start, cut_start))
            if end > cut_end:
                remaining.append((cut_end, end))
        free = remaining
    return sorted(free)


def access_verification_for_decision(*, actor: User, request_id: int) -> VerificationRequest:
    """A request a moderator is about to decide (``Forbidden`` for anyone else)."""
    require_moderator(actor, "Only moderators decide verification requests.")
    return access_verification_document(user=actor, request_id=request_id)


def access_verification_document(*, user: User, request_id: int) -> VerificationRequest:
    """The verification request if ``user`` is its owner or a moderator; NotFound otherwise
    (a stranger cannot even learn that the document exists)."""
    try:
        req = VerificationRequest.objects.select_related(
            "teaching_subject__user", "teaching_subject__subject"
        ).get(pk=request_id)
    except VerificationRequest.DoesNotExist as exc:
        raise NotFound("No such document.") from exc
    if not user.is_authenticated:
        raise NotFound("No such document.")
    if req.teaching_subject.user_id != user.pk and not user.is_moderator:
        raise NotFound("No such document.")
    return req


def verification_queue(
    *, actor: User | None = None, status: str = VerificationRequest.Status.PENDING
) -> QuerySet[VerificationRequest]:
    """The moderators' queue (``Forbidden`` for anyone else; ``actor`` None: the system)."""
    require_moderator(actor, "Only moderators see the verification queue.")
    return (
        VerificationRequest.objects.filter(status=status)
        .select_related("teaching_subject__user__profile", "teaching_subject__subject__parent")
        .prefetch_related("decisions__moderator")
        .order_by(
            "submitted_at" if status == VerificationRequest.Status.PENDING else "-submitted_at"
        )
    )


def verification_requests_for(*, user: User) -> QuerySet[VerificationRequest]:
    return (
        VerificationRequest.objects.filter(teaching_subject__user=user)
        .select_related("teaching_subject__subject")
        .prefetch_related("decisions")
        .order_by("-submitted_at")
    )


def rounded_distance_km(a: Profile, b: Profile) -> int | None:
    """Great-circle distance between two profiles, rounded so no exact location leaks
    (to 1 km under 10 km, 5 km under 100 km, 10 km beyond); None without both locations."""
    if not (a.has_location and b.has_location):
        return None
    assert a.latitude is not None and a.longitude is not None
    assert b.latitude is not None and b.longitude is not None
    return round_km(haversine_km(a.latitude, a.longitude, b.latitude, b.longitude))


def round_km(km: float) -> int:
    """The only precision a distance between people is ever shown with: to 1 km under 10 km,
    5 km under 100 km, 10 km beyond."""
    if km < 10:
        return max(1, round(km))
    if km < 100:
        return int(5 * round(km / 5))
    return int(10 * round(km / 10))


EARTH_KM = 6371.0088  # the mean Earth radius every distance here uses


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


HOME_SHOWCASE_KEY = "accounts:home-showcase:v1"
HOME_SHOWCASE_SECONDS = 60
FEATURED_LIMIT = 6


@dataclass(frozen=True)
class HomeShowcase:
    """What the home page shows every visitor: the platform's counts and a few verified tutors
    (with profile, institution and taught subjects loaded)."""

    counts: dict[str, int]
    featured: list[User]


def home_showcase() -> HomeShowcase:
    """The counts and the featured tutors' ids come from the cache (shared by every process
    when ``REDIS_URL`` is set); they are computed from every tutor at most once per
    ``HOME_SHOWCASE_SECONDS`` and again after ``home_showcase_forget`` (the accounts services
    call it when a subject is taught or dropped and when a verification is approved). A visit
    then costs one cache read and two small queries for the featured people, whatever the
    number of tutors. Sign-ups and admin edits show within ``HOME_SHOWCASE_SECONDS``."""
    cached = cache.get(HOME_SHOWCASE_KEY)
    if cached is None:
        cached = {"counts": platform_counts(), "featured_ids": featured_tutor_ids()}
        cache.set(HOME_SHOWCASE_KEY, cached, HOME_SHOWCASE_SECONDS)
    ids: list[int] = cached["featured_ids"]
    people = (
        User.objects.filter(is_active=True)
        .select_related("profile", "profile__institution")
        .prefetch_related(
            Prefetch("teaching_subjects", TeachingSubject.objects.select_related("subject"))
        )
        .in_bulk(ids)
    )
    return HomeShowcase(counts=cached["counts"], featured=[people[i] for i in ids if i in people])


def home_showcase_forget() -> None:
    cache.delete(HOME_SHOWCASE_KEY)


def featured_tutor_ids(*, limit: int = FEATURED_LIMIT) -> list[int]:
    """Tutors with at least one verified subject, most verified subjects first (a scan of every
    verified subject: ``home_showcase`` caches it)."""
    return list(
        User.objects.filter(is_active=True, teaching_subjects__verified_at__isnull=False)
        .annotate(
            verified_count=Count(
                "teaching_subjects", filter=Q(teaching_subjects__verified_at__isnull=False)
            )
        )
        .order_by("-verified_count", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def platform_counts() -> dict[str, int]:
    """Counts over every user and tutor (``home_showcase`` caches them)."""
    return {
        "tutors": User.objects.filter(is_active=True, teaching_subjects__isnull=False)
        .distinct()
        .count(),
        "learners": User.objects.filter(is_active=True).count(),
        "topics": Subject.objects.filter(kind=Subject.Kind.TOPIC).count(),
        "institutions": Institution.objects.count(),
    }


def profile_completion(*, user: User) -> list[tuple[str, bool, str]]:
    """The getting-started checklist: (label, done, url name)."""
    profile = user.profile
    return [
        (
            "Add a display name and a bio",
            bool(profile.display_name and profile.bio),
            "accounts:profile_edit",
        ),
        ("Upload a photo", bool(profile.avatar), "accounts:profile_edit"),
        ("Pick what you want to learn", user.learning_subjects.exists(), "accounts:subjects_edit"),
        ("Set your weekly availability", user.availability.exists(), "accounts:availability_edit"),
        (
            "Turn on two-factor authentication",
            Authenticator.objects.filter(user=user).exists(),
            "mfa_index",
        ),
    ]


def subject_and_descendants(subject_id: int) -> set[int]:
    """The subject and every topic under it (the catalogue is small: read it once)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Subject.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    found, stack = {subject_id}, [subject_id]
    while stack:
        for child in children[stack.pop()]:
            if child not in found:
                found.add(child)
                stack.append(child)
    return found
