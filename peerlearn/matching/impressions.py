"""The impression log (``models.Impression``): what was shown to whom, and what came of it.

Writes: ``impressions_log`` (one slate: a list shown at once) and ``impressions_attribute``
(link bookings back to the impression that led to them). Reads, for the ranker and the
dashboards: ``impression_outcomes`` (rows with their outcome) and ``match_success`` (counts
per surface). Other apps read the log only through these functions; the model's shape is
documented on ``models.Impression`` and kept stable.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.reviews.models import Review
from peerlearn.reviews.selectors import revealed
from peerlearn.scheduling.models import TimeClaim

from .models import Impression

#: A booking is credited to the latest impression of that tutor shown to that learner in the
#: days before it was made.
ATTRIBUTION_DAYS = 14
#: A session "went well" for match success when the learner rated it at least this.
GOOD_RATING = 4


@dataclass(frozen=True)
class Shown:
    """One tutor in a list about to be shown (``position`` is its index + 1)."""

    tutor_id: int
    score: float = 0.0
    propensity: float = 1.0
    explored: bool = False
    features: dict[str, float] = field(default_factory=dict)
    help_offer_id: int | None = None


def impressions_log(
    *,
    viewer: User | None,
    surface: str,
    subject_id: int | None,
    shown: Sequence[Shown],
    ranker_version_id: int | None = None,
    at: datetime | None = None,
) -> uuid.UUID | None:
    """Record one list shown to ``viewer`` (one row per tutor, one ``slate`` id for the list);
    returns the slate id, or None when nothing is logged (an anonymous viewer or an empty list).
    One INSERT; never raises for a tutor who is the viewer (skipped)."""
    if viewer is None or not viewer.is_authenticated or not shown:
        return None
    slate = uuid.uuid4()
    now = at or timezone.now()
    rows = [
        Impression(
            slate=slate,
            surface=surface,
            viewer_id=viewer.pk,
            tutor_id=s.tutor_id,
            subject_id=subject_id,
            position=position,
            score=float(s.score),
            propensity=min(1.0, max(float(s.propensity), 1e-6)),
            explored=s.explored,
            ranker_version_id=ranker_version_id,
            features={k: round(float(v), 6) for k, v in s.features.items()},
            shown_at=now,
            help_offer_id=s.help_offer_id,
        )
        for position, s in enumerate(shown, start=1)
        if s.tutor_id != viewer.pk
    ]
    Impression.objects.bulk_create(rows)
    return slate


def impressions_attribute(*, since: datetime | None = None) -> int:
    """Link every booking made since ``since`` (default: ``ATTRIBUTION_DAYS`` before the oldest
    unlinked impression) to the latest impression of its tutor shown to its learner in the
    ``ATTRIBUTION_DAYS`` before the booking was created; returns how many impressions were
    linked. Idempotent: a booking already linked is skipped. Bookings a help-offer accept made
    are linked by the help services at once."""
    pending = Impression.objects.filter(booking__isnull=True)
    if since is None:
        oldest = pending.order_by("shown_at").values_list("shown_at", flat=True).first()
        if oldest is None:
            return 0
        since = oldest
    linked_bookings = Impression.objects.filter(booking__isnull=False).values("booking_id")
    made = list(
        TimeClaim.objects.filter(role=TimeClaim.Role.LEARNER, booking__created_at__gte=since)
        .exclude(booking_id__in=linked_bookings)
        .values_list("booking_id", "user_id", "booking__tutor_id", "booking__created_at")
        .order_by("booking__created_at")
    )
    if not made:
        return 0
    window = timedelta(days=ATTRIBUTION_DAYS)
    candidates: dict[tuple[int, int], list[tuple[datetime, int]]] = {}
    for pk, viewer, tutor, shown_at in pending.filter(
        shown_at__gte=since - window,
        viewer_id__in={m[1] for m in made},
        tutor_id__in={m[2] for m in made},
    ).values_list("pk", "viewer_id", "tutor_id", "shown_at"):
        candidates.setdefault((viewer, tutor), []).append((shown_at, pk))
    links: dict[int, tuple[int, datetime]] = {}
    for booking_id, learner, tutor, created in made:
        best = max(
            (
                (shown_at, pk)
                for shown_at, pk in candidates.get((learner, tutor), ())
                if created - window <= shown_at <= created and pk not in links
            ),
            default=None,
        )
        if best is not None:
            links[best[1]] = (booking_id, created)
    with transaction.atomic():
        for pk, (booking_id, created) in links.items():
            Impression.objects.filter(pk=pk, booking__isnull=True).update(
                booking_id=booking_id, booked_at=created
            )
    return len(links)


def impression_link_booking(*, help_offer_id: int, booking_id: int, at: datetime) -> None:
    """A help offer was accepted and made ``booking_id``: link its impression."""
    Impression.objects.filter(help_offer_id=help_offer_id).update(
        booking_id=booking_id, booked_at=at
    )


# --- reads --------------------------------------------------------------------------------------

#: Outcome of an impression, from its booking (and, on the help surface, its offer).
OUTCOMES = ("shown", "booked", "completed", "no_show", "declined", "cancelled")


def impression_list(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    surface: str | None = None,
    viewer_id: int | None = None,
    tutor_id: int | None = None,
) -> QuerySet[Impression]:
    """Impressions in ``[since, until)``, optionally of one surface, viewer or tutor; with the
    booking selected. Callers authorize (the log names who saw whom: staff or the person)."""
    qs = Impression.objects.select_related("booking")
    if since is not None:
        qs = qs.filter(shown_at__gte=since)
    if until is not None:
        qs = qs.filter(shown_at__lt=until)
    if surface:
        qs = qs.filter(surface=surface)
    if viewer_id is not None:
        qs = qs.filter(viewer_id=viewer_id)
    if tutor_id is not None:
        qs = qs.filter(tutor_id=tutor_id)
    return qs


def outcome_of(status: str | None, no_show_user_id: int | None, tutor_id: int) -> str:
    """One of ``OUTCOMES`` for an impression whose booking has ``status`` (None: not booked)."""
    if status is None:
        return "shown"
    if status == "completed":
        return "completed"
    if status == "no_show":
        return "no_show" if no_show_user_id == tutor_id else "cancelled"
    if status in ("declined", "cancelled"):
        return status
    return "booked"


def impression_outcomes(**filters: Any) -> list[dict[str, Any]]:
    """``impression_list(**filters)`` as plain rows: slate, surface, viewer, tutor, subject,
    position, score, propensity, explored, ranker version, features, shown_at, booking,
    ``outcome`` (see ``OUTCOMES``; a learner's own no-show counts as ``cancelled``) and
    ``rating`` (the learner's revealed overall rating of that session, or None)."""
    rows: list[dict[str, Any]] = [
        dict(row)
        for row in impression_list(**filters).values(
            "pk",
            "slate",
            "surface",
            "viewer_id",
            "tutor_id",
            "subject_id",
            "position",
            "score",
            "propensity",
            "explored",
            "ranker_version_id",
            "features",
            "shown_at",
            "booking_id",
            "booking__status",
            "booking__no_show_user_id",
        )
    ]
    booked = {r["booking_id"] for r in rows if r["booking_id"]}
    ratings = {
        (b, a): float(o)
        for b, a, o in revealed(
            Review.objects.filter(direction=Review.Direction.OF_TUTOR, booking_id__in=booked)
        ).values_list("booking_id", "author_id", "overall")
    }
    for r in rows:
        r["outcome"] = outcome_of(
            r.pop("booking__status"), r.pop("booking__no_show_user_id"), r["tutor_id"]
        )
        r["rating"] = ratings.get((r["booking_id"], r["viewer_id"]))
    return rows


def match_success(
    *, since: datetime | None = None, until: datetime | None = None
) -> dict[str, dict[str, int]]:
    """Per surface: ``slates`` shown, ``impressions``, and the slates that led to a booking
    (``booked``), a completed session (``completed``), a completed session the learner rated at
    least ``GOOD_RATING`` (``good``), and a tutor no-show (``no_show``). Run
    ``impressions_attribute`` first for up-to-date links (training and the periodic task do)."""
    out: dict[str, dict[str, int]] = {}
    per_slate: dict[tuple[str, Any], set[str]] = {}
    for r in impression_outcomes(since=since, until=until):
        key = (r["surface"], r["slate"])
        tags = per_slate.setdefault(key, set())
        stats = out.setdefault(
            r["surface"],
            {"slates": 0, "impressions": 0, "booked": 0, "completed": 0, "good": 0, "no_show": 0},
        )
        stats["impressions"] += 1
        if r["outcome"] != "shown":
            tags.add("booked")
        if r["outcome"] == "completed":
            tags.add("completed")
            if r["rating"] is not None and r["rating"] >= GOOD_RATING:
                tags.add("good")
        if r["outcome"] == "no_show":
            tags.add("no_show")
    for (surface, _), tags in per_slate.items():
        stats = out[surface]
        stats["slates"] += 1
        for tag in tags:
            stats[tag] += 1
    return out


def recent_exposure(*, since: datetime, top: int = 3) -> dict[int, int]:
    """Tutor id → how many distinct learners were shown that tutor in the first ``top``
    positions since ``since`` (the capacity-aware ranker's demand estimate)."""
    from django.db.models import Count

    return dict(
        Impression.objects.filter(shown_at__gte=since, position__lte=top)
        .exclude(surface=Impression.Surface.SEARCH)
        .values("tutor_id")
        .annotate(n=Count("viewer_id", distinct=True))
        .values_list("tutor_id", "n")
    )


def log_recommendations(
    *, viewer: User, surface: str, subject_id: int | None, recs: Sequence[Any]
) -> uuid.UUID | None:
    """``impressions_log`` for a list of ``recommend.Recommendation``: their parts are the
    features as scored, plus ``room`` (the sessions the tutor could still take, as the
    capacity-aware ranker saw it); their propensity and exploration flag as served."""
    return impressions_log(
        viewer=viewer,
        surface=surface,
        subject_id=subject_id,
        shown=[
            Shown(
                r.tutor_id,
                r.score,
                r.propensity,
                r.explored,
                {**r.parts, "room": r.facts.get("room", 1.0)},
            )
            for r in recs
        ],
        ranker_version_id=recs[0].version_id if recs else None,
    )


def log_search(*, viewer: User | None, filters: Any, hits: Sequence[Any]) -> uuid.UUID | None:
    """``impressions_log`` for one page of search results (``selectors.TutorHit``) shown to a
    signed-in viewer, with what the page showed of each tutor as its features."""
    return impressions_log(
        viewer=viewer,
        surface=Impression.Surface.SEARCH,
        subject_id=filters.subject_id,
        shown=[
            Shown(
                h.tutor_id,
                features={
                    "rating": h.rating,
                    "rating_count": h.rating_count,
                    "match": {"topic": 2, "subject": 1}.get(h.match, 0),
                },
            )
            for h in hits
        ],
    )
