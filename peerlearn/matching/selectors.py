"""Reads for discovery: the tutor search (filters, full text, sort) over the database.

Recommendations are scored in memory (``index.py`` / ``recommend.py``); this module is the
filtered, paginated search that the page and ``GET /api/v1/tutors/search`` share.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, reduce
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import ACos, Cos, Greatest, Least, Radians, Sin
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.text import Truncator

from peerlearn.accounts.models import (
    AvailabilityException,
    AvailabilityWindow,
    Institution,
    Level,
    Profile,
    SessionFormat,
    Subject,
    TeachingSubject,
    User,
)
from peerlearn.accounts.selectors import EARTH_KM, rounded_distance_km, subject_and_descendants
from peerlearn.reviews.selectors import stored_rating_annotations

from .models import TutorDocument
from .services import SEARCH_CONFIG
from .week import PARTS_OF_DAY, wanted

LEVEL_RANK = {Level.BEGINNER: 0, Level.INTERMEDIATE: 1, Level.ADVANCED: 2, Level.EXPERT: 3}
PAGE_SIZE = 20
SORTS = ("relevance", "rating", "distance", "newest")


@dataclass
class SearchFilters:
    """Everything a search can ask; every field optional. ``weekday`` is 0 = Monday; ``part``
    one of ``PARTS_OF_DAY``; ``next_days`` N means "free on one of the next N days"."""

    q: str = ""
    subject_id: int | None = None
    level: str = ""
    weekday: int | None = None
    part: str = ""
    next_days: int | None = None
    language: str = ""
    institution_id: int | None = None
    verified_only: bool = False
    min_rating: float | None = None
    max_distance_km: float | None = None
    session_format: str = ""
    sort: str = "relevance"

    def cleaned(self) -> SearchFilters:
        out = SearchFilters(**self.__dict__)
        out.q = out.q.replace("\x00", "").strip()[:200]
        if out.level not in LEVEL_RANK:
            out.level = ""
        if out.part not in PARTS_OF_DAY:
            out.part = ""
        if out.weekday is not None and not 0 <= out.weekday <= 6:
            out.weekday = None
        if out.next_days is not None:
            out.next_days = min(max(out.next_days, 1), 14)
        if out.session_format not in SessionFormat.values:
            out.session_format = ""
        out.language = out.language.replace("\x00", "").strip().lower()[:12]
        if out.institution_id is not None and not valid_id(out.institution_id):
            out.institution_id = -1  # finds nobody
        if out.sort not in SORTS:
            out.sort = "relevance"
        return out


@dataclass
class TutorHit:
    """One search result: only what may be shown to anyone (a rounded distance, never a place)."""

    tutor_id: int
    display_name: str
    bio: str
    institution: str
    subjects: list[tuple[str, bool, str]] = field(default_factory=list)  # name, verified, level
    rating: float = 0.0
    rating_count: int = 0
    distance_km: int | None = None
    match: str = ""  # "topic", "subject" or ""


def _levels_at_least(level: str) -> list[str]:
    return [lv for lv, rank in LEVEL_RANK.items() if rank >= LEVEL_RANK[Level(level)]]


def _subject_filter(qs: QuerySet[Any], f: SearchFilters) -> QuerySet[Any]:
    """A topic finds its own tutors (match 2) and its parent subject's tutors (match 1); a
    subject or area finds tutors of it and everything under it (match 2)."""
    if f.subject_id is None:
        return qs
    subject = Subject.objects.filter(pk=f.subject_id).first() if valid_id(f.subject_id) else None
    if subject is None:  # an unknown subject finds nobody (annotated: the sort reads match)
        return qs.none().annotate(match=Value(0, output_field=IntegerField()))
    if subject.kind == Subject.Kind.TOPIC:
        exact_ids = [subject.pk]
        broader_ids = [subject.parent_id] if subject.parent_id else []
    else:
        exact_ids, broader_ids = sorted(subject_and_descendants(subject.pk)), []
    teaches = TeachingSubject.objects.all()
    if f.level:
        teaches = teaches.filter(proficiency__in=_levels_at_least(f.level))
    if f.verified_only:
        teaches = teaches.filter(verified_at__isnull=False)
    # Semi-joins on the subject index (a few hundred tutors), not a probe per tutor.
    exact = teaches.filter(subject_id__in=exact_ids).values("user_id")
    either = teaches.filter(subject_id__in=exact_ids + broader_ids).values("user_id")
    return qs.filter(pk__in=either).annotate(
        match=Case(When(pk__in=exact, then=Value(2)), default=Value(1), output_field=IntegerField())
    )


def _availability_filter(
    qs: QuerySet[Any], f: SearchFilters, *, document_joined: bool
) -> QuerySet[Any]:
    """Weekly windows in the tutor's own wall-clock time (a "Tuesday evening" is the tutor's
    Tuesday evening; the profile page shows the exact hours in the viewer's zone), read from the
    search document's ``week_mask`` (a column test, not a subquery per tutor). "In the next N
    days" also reads the dated exceptions: a day the tutor took off entirely does not count, and
    a day with extra hours does (a part-day change is left to the booking page's slots)."""

    def weekly(weekdays: Iterable[int]) -> Q:
        """The tutor's document has a window on one of these weekdays (in the part of day): a
        column of the document when the query already joins it (every tutor is scanned then),
        else a probe of each candidate's document (a subject filter left a few hundred)."""
        bits = wanted(weekdays, f.part)
        if document_joined:
            return Q(GreaterThan(F("tutor_document__week_mask").bitand(bits), 0))
        documents = TutorDocument.objects.filter(
            GreaterThan(F("week_mask").bitand(bits), 0), user_id=OuterRef("pk")
        )
        return Q(Exists(documents))

    if not f.next_days:
        return qs.filter(weekly([f.weekday] if f.weekday is not None else range(7)))
    today = timezone.localdate()
    dates_of: dict[int, list[date]] = {}
    for n in range(f.next_days):
        day = today + timedelta(days=n)
        if f.weekday is None or day.weekday() == f.weekday:
            dates_of.setdefault(day.weekday(), []).append(day)
    if not dates_of:
        return qs.none()
    every_date = [day for dates in dates_of.values() for day in dates]
    whole_days_off = AvailabilityException.objects.filter(
        kind=AvailabilityException.Kind.UNAVAILABLE, start_time__isnull=True
    )
    extra = AvailabilityException.objects.filter(
        kind=AvailabilityException.Kind.AVAILABLE, date__in=every_date
    )
    windows = AvailabilityWindow.objects.filter(user_id=OuterRef("pk"))
    if f.part:
        start, end = PARTS_OF_DAY[f.part]
        windows = windows.filter(start_time__lt=end, end_time__gt=start)
        extra = extra.filter(start_time__lt=end, end_time__gt=start)
    # The few tutors with a day off in the range are checked date by date: a window on a
    # weekday counts unless they took every such date off.
    took_off = whole_days_off.filter(date__in=every_date).values("user_id")
    usual_despite_days_off = reduce(
        operator.or_,
        (
            Q(weekday=weekday)
            & reduce(
                operator.or_,
                (
                    ~Q(user_id__in=whole_days_off.filter(date=day).values("user_id"))
                    for day in dates
                ),
            )
            for weekday, dates in dates_of.items()
        ),
    )
    return qs.filter(
        (weekly(dates_of) & ~Q(pk__in=took_off))
        | Q(Exists(windows.filter(usual_despite_days_off, user_id__in=took_off)))
        | Q(pk__in=extra.values("user_id"))
    )


def _json_list_has(field_name: str, value: str) -> Q:
    if connection.vendor == "postgresql":
        return Q(**{f"{field_name}__contains": [value]})
    # SQLite has no JSON containment; the list is stored as JSON text.
    return Q(**{f"{field_name}__icontains": f'"{value}"'})


def _distance_expr(viewer: Profile) -> Any:
    """Great-circle distance in km (spherical law of cosines; clamped for acos)."""
    lat1, lon1 = Radians(Value(viewer.latitude)), Radians(Value(viewer.longitude))
    lat2, lon2 = Radians(F("profile__latitude")), Radians(F("profile__longitude"))
    cosine = Sin(lat1) * Sin(lat2) + Cos(lat1) * Cos(lat2) * Cos(lon2 - lon1)
    return Value(EARTH_KM) * ACos(Least(Greatest(cosine, Value(-1.0)), Value(1.0)))


def _full_text(qs: QuerySet[Any], q: str) -> QuerySet[Any]:
    """PostgreSQL: the tutor's ``TutorDocument.search_vector`` (GIN-indexed; name A, taught
    subjects B, bio C, their parents D) matched by a websearch query and ranked by
    ``SearchRank``; the accounts services keep the documents current (writes around them need
    ``manage.py rebuild_tutor_documents``). SQLite: every word must ``icontains`` the name, bio
    or a taught subject's name."""
    subject_hit = TeachingSubject.objects.filter(user=OuterRef("pk"))
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
        return qs.filter(tutor_document__search_vector=query).annotate(
            text_rank=SearchRank(F("tutor_document__search_vector"), query)
        )
    qs = qs.filter(Exists(subject_hit))  # teaches something (on PostgreSQL: has a document)
    words = q.split()
    for word in words:
        hit = subject_hit.filter(subject__name__icontains=word)
        qs = qs.filter(
            Q(profile__display_name__icontains=word) | Q(profile__bio__icontains=word) | Exists(hit)
        )
    return qs.annotate(text_rank=Value(1.0, output_field=FloatField()))


def tutor_search(*, filters: SearchFilters, viewer: User | None) -> QuerySet[Any]:
    """Tutors matching every given filter, sorted; annotated with ``match``, ``text_rank``,
    ``rating``, ``rating_count`` and (when a located viewer filters or sorts by distance)
    ``distance_km``. Narrow rows (ids and sort keys): ``search_page`` loads the shown page's
    people. The viewer is never among the results."""
    f = filters.cleaned()
    # Active people who teach: each of the subject filter, the level/verified filters and the
    # full-text match (documents exist only for people who teach) implies teaching, so the
    # bare "teaches something" check is added only when none of them applies.
    qs: QuerySet[Any] = User.objects.filter(is_active=True).only("pk")
    if viewer is not None and viewer.is_authenticated:
        qs = qs.exclude(pk=viewer.pk)
    if f.subject_id is not None:
        qs = _subject_filter(qs, f)
    else:
        qs = qs.annotate(match=Value(0, output_field=IntegerField()))
        teaches = TeachingSubject.objects.all()
        if f.level:
            ok = _levels_at_least(f.level)
            qs = qs.filter(pk__in=teaches.filter(proficiency__in=ok).values("user_id"))
        if f.verified_only:
            qs = qs.filter(pk__in=teaches.filter(verified_at__isnull=False).values("user_id"))
        if not (f.level or f.verified_only or f.q):
            # A search document exists exactly for the people who teach (matching.services).
            qs = qs.filter(tutor_document__isnull=False)
    if f.weekday is not None or f.part or f.next_days:
        # Without a subject, level or verified filter the tutor check above joined the search
        # document, and the full text joins it too.
        joined = bool(f.q) or not (f.subject_id is not None or f.level or f.verified_only)
        qs = _availability_filter(qs, f, document_joined=joined)
    if f.language:
        qs = qs.filter(_json_list_has("profile__languages", f.language))
    if f.session_format:
        qs = qs.filter(_json_list_has("profile__session_formats", f.session_format))
    if f.institution_id is not None:
        if not valid_id(f.institution_id):
            return qs.none()
        qs = qs.filter(profile__institution_id=f.institution_id)
    if f.q:
        qs = _full_text(qs, f.q)
    else:
        qs = qs.annotate(text_rank=Value(0.0, output_field=FloatField()))
    qs = stored_rating_annotations(qs)
    if f.min_rating is not None:
        # "4★ and up" means rated 4 or more by someone: an unrated tutor's prior-only average
        # says nothing and is not shown.
        qs = qs.filter(rating__gte=f.min_rating, rating_count__gt=0)
    profile = getattr(viewer, "profile", None) if viewer is not None else None
    located = profile is not None and profile.has_location
    by_distance = located and (f.sort == "distance" or f.max_distance_km is not None)
    if by_distance:
        assert profile is not None
        qs = qs.annotate(distance_km=_distance_expr(profile))
        if f.max_distance_km is not None:
            qs = qs.filter(distance_km__lte=f.max_distance_km)
    if f.sort == "rating":
        return qs.order_by("-rating", "-rating_count", "pk")
    if f.sort == "distance" and located:
        return qs.order_by(F("distance_km").asc(nulls_last=True), "pk")
    if f.sort == "newest":
        return qs.order_by("-date_joined", "-pk")
    return qs.order_by("-match", "-text_rank", "-rating", "pk")


class CappedPaginator(Paginator):
    """Counts at most ``cap`` results: a broad search over 100,000 tutors does not count them
    all to say "1,000+" (``exact`` is False then, and the last page is the cap's)."""

    def __init__(self, queryset: QuerySet[Any], per_page: int, cap: int) -> None:
        super().__init__(queryset, per_page)
        self.queryset = queryset
        self.cap = cap
        self.exact = True

    @cached_property
    def count(self) -> int:
        found = self.queryset.order_by()[: self.cap + 1].count()
        if found > self.cap:
            self.exact = False
            return self.cap
        return found


@dataclass
class SearchResults:
    """One page of a search: what the page and the API show."""

    hits: list[TutorHit]
    page: Page
    count: int  # at most SEARCH_COUNT_CAP
    count_exact: bool  # False: there are more than ``count``


def among_recent_candidates(qs: QuerySet[Any], limit: int) -> QuerySet[Any]:
    """``qs`` (every filter applied, its ranking kept) restricted to its ``limit`` matches whose
    search documents changed last (a profile, subject or availability edit), read in the order
    of the ``matching_doc_recent`` index: the text rank is computed for those only, not for
    every match. The approximation for a broad query (more than ``limit`` matches, where the
    pages stop at ``limit`` anyway): a better text match among the tutors whose documents have
    not changed for longer is left out."""
    candidates = qs.order_by("-tutor_document__updated_at", "-tutor_document__user_id")
    return qs.filter(pk__in=candidates.values("pk")[:limit])


def paginated_search(
    *, filters: SearchFilters, viewer: User | None, per_page: int = PAGE_SIZE
) -> CappedPaginator:
    """``tutor_search`` behind a capped count (run here). A full-text search by relevance with
    more matches than ``SEARCH_COUNT_CAP`` ranks only the cap's most recently changed matches
    (``among_recent_candidates``), so its cost stops growing with the number of tutors; every
    other search is ranked over all its matches."""
    f = filters.cleaned()
    cap = settings.SEARCH_COUNT_CAP
    qs = tutor_search(filters=f, viewer=viewer)
    paginator = CappedPaginator(qs, per_page, cap)
    paginator.count  # noqa: B018 (at most cap + 1 rows counted; sets ``exact``)
    if f.q and f.sort == "relevance" and not paginator.exact:
        paginator.object_list = among_recent_candidates(qs, cap)
    return paginator


def search_page(
    *,
    filters: SearchFilters,
    viewer: User | None,
    page: int | str | None,
    per_page: int = PAGE_SIZE,
) -> SearchResults:
    """The requested page (out-of-range and junk page numbers give the nearest real page) of
    ``paginated_search``: two narrow queries (capped count, the page's ids), then ``hits_for``."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # PostgreSQL otherwise pre-sorts every match by text rank in parallel workers and
            # finishes with an incremental sort: ~3× slower for a broad query's later pages.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_incremental_sort = off")
        paginator = paginated_search(filters=filters, viewer=viewer, per_page=per_page)
        shown = paginator.get_page(page)
        rows = list(shown.object_list)
    hits = hits_for(rows, viewer=viewer)
    return SearchResults(hits=hits, page=shown, count=paginator.count, count_exact=paginator.exact)


def hits_for(rows: list[User], *, viewer: User | None) -> list[TutorHit]:
    """Turn a page of ``tutor_search`` rows into what may be shown (two extra queries: the
    people with their profiles, and what they teach)."""
    ids = [u.pk for u in rows]
    people = User.objects.select_related("profile", "profile__institution").in_bulk(ids)
    subjects: dict[int, list[tuple[str, bool, str]]] = {i: [] for i in ids}
    for ts in TeachingSubject.objects.filter(user_id__in=ids).select_related("subject"):
        subjects[ts.user_id].append(
            (ts.subject.name, ts.verified_at is not None, ts.get_proficiency_display())
        )
    viewer_profile = getattr(viewer, "profile", None) if viewer is not None else None
    hits = []
    for row in rows:
        u = people[row.pk]
        p = u.profile
        institution = p.institution.name if p.institution_id else ""  # type: ignore[union-attr]
        distance = rounded_distance_km(viewer_profile, p) if viewer_profile is not None else None
        hits.append(
            TutorHit(
                tutor_id=u.pk,
                display_name=u.display_name,
                bio=Truncator(p.bio).chars(240),
                institution=institution,
                subjects=subjects[u.pk],
                rating=round(float(getattr(row, "rating", 0.0)), 2),
                rating_count=int(getattr(row, "rating_count", 0)),
                distance_km=distance,
                match={2: "topic", 1: "subject"}.get(int(getattr(row, "match", 0)), ""),
            )
        )
    return hits


MAX_ID = 2**63 - 1  # the database's bigint


def valid_id(value: int | None) -> bool:
    return value is not None and 1 <= value <= MAX_ID


def filter_problems(data: Any) -> list[tuple[str, str]]:
    """What is wrong with a search query (``(parameter, message)`` pairs; empty when nothing):
    the API answers 400 with the first; the page ignores malformed values and shows nothing
    for an unknown subject or institution."""
    problems: list[tuple[str, str]] = []

    def given(name: str) -> str | None:
        value = data.get(name)
        if value is None or value == "":
            return None
        return str(value)

    for name in ("subject", "institution"):
        raw = given(name)
        if raw is not None and not valid_id(parse_int(raw)):
            problems.append((name, f"{name} must be an id from 1 to {MAX_ID}."))
    choices = {
        "level": tuple(LEVEL_RANK),
        "part": tuple(PARTS_OF_DAY),
        "format": tuple(SessionFormat.values),
        "sort": SORTS,
    }
    for name, allowed in choices.items():
        raw = given(name)
        if raw is not None and raw not in allowed:
            problems.append((name, f"{name} must be one of: {', '.join(allowed)}."))
    raw = given("weekday")
    if raw is not None and parse_int(raw) not in range(7):
        problems.append(("weekday", "weekday must be 0 (Monday) to 6 (Sunday)."))
    raw = given("next_days")
    if raw is not None and parse_int(raw) not in range(1, 15):
        problems.append(("next_days", "next_days must be 1 to 14."))
    raw = given("min_rating")
    rating = parse_float(raw) if raw is not None else None
    if raw is not None and (rating is None or not 1 <= rating <= 5):
        problems.append(("min_rating", "min_rating must be a number from 1 to 5."))
    raw = given("max_km")
    km = parse_float(raw) if raw is not None else None
    if raw is not None and (km is None or not 0 < km <= 20_000):
        problems.append(("max_km", "max_km must be a number above 0 and at most 20000."))
    for name in ("q", "language"):
        raw = given(name)
        if raw is not None and "\x00" in raw:
            problems.append((name, f"{name} must not contain NUL characters."))
    return problems


def institution_choices() -> QuerySet[Institution]:
    return Institution.objects.order_by("name")


def parse_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_float(value: Any) -> float | None:
    """A finite float, or None (junk, NaN and ±infinity)."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def filters_from_query(data: Any) -> SearchFilters:
    """Build filters from a GET query dict (page and API use the same names)."""
    return SearchFilters(
        q=str(data.get("q", "") or ""),
        subject_id=parse_int(data.get("subject")),
        level=str(data.get("level", "") or ""),
        weekday=parse_int(data.get("weekday")),
        part=str(data.get("part", "") or ""),
        next_days=parse_int(data.get("next_days")),
        language=str(data.get("language", "") or ""),
        institution_id=parse_int(data.get("institution")),
        verified_only=str(data.get("verified", "")).lower() in {"1", "true", "on", "yes"},
        min_rating=parse_float(data.get("min_rating")),
        max_distance_km=parse_float(data.get("max_km")),
        session_format=str(data.get("format", "") or ""),
        sort=str(data.get("sort", "relevance") or "relevance"),
    ).cleaned()


def today() -> date:
    return timezone.localdate()
