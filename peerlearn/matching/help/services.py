"""Writes for help requests: create (offer to the top N tutors at once), accept (atomic: one
winner, a booking made through the scheduling services), decline, cancel, and the end of a
round (widen to the next N tutors, or expire).

Settings (read with defaults): ``HELP_REQUEST_OFFER_COUNT`` (3 tutors per round),
``HELP_REQUEST_OFFER_TIMEOUT_MINUTES`` (15), ``HELP_REQUEST_MAX_ROUNDS`` (3).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from peerlearn.accounts.models import Subject, TeachingSubject, User
from peerlearn.common.errors import Conflict, Invalid, NotFound, ServiceError
from peerlearn.common.realtime import broadcast
from peerlearn.notifications.models import Notification
from peerlearn.notifications.services import notify
from peerlearn.scheduling import services as scheduling
from peerlearn.scheduling.selectors import bookable_slots

from ..impressions import Shown, impression_link_booking, impressions_log
from ..models import Impression
from . import events
from .models import HelpOffer, HelpRequest

logger = logging.getLogger(__name__)

DESCRIPTION_MAX = 2000
MAX_OPEN_REQUESTS = 3

OfferStatus = HelpOffer.Status
RequestStatus = HelpRequest.Status


def offer_count() -> int:
    return max(1, settings.HELP_REQUEST_OFFER_COUNT)


def round_timeout() -> timedelta:
    return timedelta(minutes=settings.HELP_REQUEST_OFFER_TIMEOUT_MINUTES)


def max_rounds() -> int:
    return max(1, settings.HELP_REQUEST_MAX_ROUNDS)


# --- who is asked ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    tutor_id: int
    score: float
    explanation: str
    features: dict[str, float] = field(default_factory=dict)
    propensity: float = 1.0
    explored: bool = False
    version_id: int | None = None


#: How many ranked tutors are checked for the requested time, per tutor wanted.
CHECKED_PER_OFFER = 8


def _bookable(tutor_id: int, starts_at: datetime, duration_minutes: int) -> bool:
    """The tutor can be booked at exactly that time (the check ``booking_request`` makes:
    availability, notice, daily cap, other sessions and buffers)."""
    tutor = User.objects.filter(pk=tutor_id, is_active=True).first()
    if tutor is None:
        return False
    slots = bookable_slots(
        tutor=tutor,
        duration_minutes=duration_minutes,
        start=starts_at,
        end=starts_at + timedelta(minutes=duration_minutes),
    )
    return any(slot.starts_at == starts_at for slot in slots)


def _candidates(
    *,
    learner: User,
    subject: Subject,
    n: int,
    exclude_ids: list[int],
    starts_at: datetime,
    duration_minutes: int,
) -> list[Candidate]:
    """The next ``n`` tutors to ask, each bookable at the requested time (so Accept books):
    the ranker's order (``matching.recommend.top_tutors``, pre-filtered to tutors whose weekly
    hours cover the time) when it exists; otherwise a plain fallback query: active tutors
    teaching the subject, its parent or one of its topics, verified first."""
    exclude = sorted({learner.pk, *exclude_ids})
    checked = n * CHECKED_PER_OFFER
    try:
        from peerlearn.matching import recommend
    except ImportError:
        recommend = None  # type: ignore[assignment]
    top_tutors = getattr(recommend, "top_tutors", None)
    if top_tutors is not None:
        try:
            ranked = top_tutors(
                learner=learner,
                subject_id=subject.pk,
                n=checked,
                exclude_ids=exclude,
                free_at=(starts_at, starts_at + timedelta(minutes=duration_minutes)),
            )
        except Exception:  # asking for help must not fail because the ranker did
            logger.exception("top_tutors failed; using the plain candidate query")
        else:
            return [
                Candidate(
                    r.tutor_id,
                    float(r.score),
                    str(r.explanation or "")[:300],
                    {**r.parts, "room": r.facts.get("room", 1.0)},
                    r.propensity,
                    r.explored,
                    r.version_id,
                )
                for r in ranked
                if r.tutor_id not in exclude and _bookable(r.tutor_id, starts_at, duration_minutes)
            ][:n]
    # Fallback: no ranker yet.
    related = Q(subject=subject) | Q(subject__parent=subject)
    if subject.parent_id:
        related |= Q(subject_id=subject.parent_id)
    rows = (
        TeachingSubject.objects.filter(related, user__is_active=True)
        .exclude(user_id__in=exclude)
        .select_related("subject")
        .order_by(F("verified_at").desc(nulls_last=True), "user_id")
    )
    picked: dict[int, Candidate] = {}
    seen: set[int] = set()
    for row in rows:
        if row.user_id in seen:
            continue
        seen.add(row.user_id)
        if len(seen) > checked:
            break
        if not _bookable(row.user_id, starts_at, duration_minutes):
            continue
        verified = " (verified)" if row.verified_at else ""
        picked[row.user_id] = Candidate(
            row.user_id, 1.0 if row.verified_at else 0.5, f"Teaches {row.subject.name}{verified}"
        )
        if len(picked) == n:
            break
    return list(picked.values())


def _booking_subject_id(tutor: User, subject: Subject) -> int:
    """The subject the booking is made in: the one asked about when the tutor teaches it, else
    the related one they teach (its parent, or one of its topics)."""
    teaching = TeachingSubject.objects.filter(user=tutor)
    if teaching.filter(subject=subject).exists():
        return subject.pk
    if subject.parent_id and teaching.filter(subject_id=subject.parent_id).exists():
        return subject.parent_id
    child = teaching.filter(subject__parent=subject).order_by("subject_id").first()
    return child.subject_id if child else subject.pk


# --- helpers -----------------------------------------------------------------------------------


def _lock(request_id: int) -> HelpRequest:
    """Lock the request row: every change to a request and its offers is serialized on it
    (``of=self``: the joined subject and learner rows are not locked)."""
    try:
        return (
            HelpRequest.objects.select_for_update(of=("self",))
            .select_related("subject", "learner")
            .get(pk=request_id)
        )
    except HelpRequest.DoesNotExist as exc:
        raise NotFound("No such help request.") from exc


def _request_event(request: HelpRequest, change: str, tutor_id: int | None = None) -> None:
    event: events.RequestEvent = {
        "type": "help.request",
        "request": request.pk,
        "status": request.status,
        "round": request.round,
        "change": change,
        "tutor": tutor_id,
    }
    broadcast(events.request_group(request.pk), event)


def _offer_event(offer: HelpOffer) -> None:
    event: events.OfferEvent = {
        "type": "help.offer",
        "offer": offer.pk,
        "request": offer.request_id,
        "status": offer.status,
    }
    broadcast(events.tutor_group(offer.tutor_id), event)


def _close_pending(request: HelpRequest, status: str, now: datetime) -> list[HelpOffer]:
    """Close every pending offer of the request with ``status`` and tell each tutor."""
    pending = list(request.offers.filter(status=OfferStatus.PENDING))
    for offer in pending:
        offer.status = status
        offer.closed_at = now
        offer.save(update_fields=["status", "closed_at"])
        _offer_event(offer)
    return pending


def _schedule_round_end(request: HelpRequest) -> None:
    from .tasks import help_request_round_end

    transaction.on_commit(
        partial(
            help_request_round_end.using(run_after=request.round_ends_at).enqueue,
            request.pk,
            request.round,
        )
    )


def _local_time(request: HelpRequest, user: User) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        tz = ZoneInfo(user.profile.timezone)
    except (ZoneInfoNotFoundError, ValueError, AttributeError):
        tz = ZoneInfo("UTC")
    return request.starts_at.astimezone(tz).strftime("%a %d %b, %H:%M (%Z)")


def _offer_round(request: HelpRequest, candidates: list[Candidate], now: datetime) -> None:
    tutors = User.objects.select_related("profile").in_bulk([c.tutor_id for c in candidates])
    url = reverse("matching_help:offers")
    shown: list[Shown] = []
    for rank, candidate in enumerate(candidates, start=1):
        tutor = tutors.get(candidate.tutor_id)
        if tutor is None:
            continue
        offer = HelpOffer.objects.create(
            request=request,
            tutor=tutor,
            round=request.round,
            rank=rank,
            score=candidate.score,
            explanation=candidate.explanation,
            offered_at=now,
        )
        shown.append(
            Shown(
                tutor.pk,
                candidate.score,
                candidate.propensity,
                candidate.explored,
                candidate.features,
                help_offer_id=offer.pk,
            )
        )
        notify(
            user=tutor,
            kind=Notification.Kind.HELP_REQUEST,
            title=f"{request.learner.display_name} needs help with {request.subject.name}",
            body=(
                f"{_local_time(request, tutor)}, {request.duration_minutes} minutes.\n\n"
                f"{request.description[:500]}\n\n"
                "The first tutor to accept gets the session."
            ),
            url=url,
        )
        _offer_event(offer)
    impressions_log(
        viewer=request.learner,
        surface=Impression.Surface.HELP_OFFER,
        subject_id=request.subject_id,
        shown=shown,
        ranker_version_id=next((c.version_id for c in candidates), None),
        at=now,
    )
    _request_event(request, "offered")
    _schedule_round_end(request)


def _advance(request: HelpRequest, now: datetime) -> None:
    """The current round is over without a winner: ask the next tutors, or expire."""
    _close_pending(request, OfferStatus.EXPIRED, now)
    if request.round < max_rounds() and request.starts_at > now:
        asked = list(request.offers.values_list("tutor_id", flat=True))
        candidates = _candidates(
            learner=request.learner,
            subject=request.subject,
            n=offer_count(),
            exclude_ids=asked,
            starts_at=request.starts_at,
            duration_minutes=request.duration_minutes,
        )
        if candidates:
            request.round += 1
            request.round_ends_at = now + round_timeout()
            request.save(update_fields=["round", "round_ends_at"])
            _offer_round(request, candidates, now)
            return
    request.status = RequestStatus.EXPIRED
    request.closed_at = now
    request.save(update_fields=["status", "closed_at"])
    notify(
        user=request.learner,
        kind=Notification.Kind.HELP_REQUEST,
        title=f"No tutor could take your help request about {request.subject.name}",
        body=(
            f"We asked {request.offers.count()} tutors; none accepted in time. You can ask "
            "again, perhaps for another time, or book a tutor directly."
        ),
        url=reverse("matching_help:detail", args=[request.pk]),
    )
    _request_event(request, "expired")


def _advance_if_all_answered(request: HelpRequest, now: datetime) -> None:
    """Everybody of this round said no: widen now instead of waiting for the timeout."""
    if not request.offers.filter(status=OfferStatus.PENDING).exists():
        _advance(request, now)


def _require_open(request: HelpRequest, offer: HelpOffer | None = None) -> None:
    if request.status == RequestStatus.ACCEPTED:
        raise Conflict("Another tutor has already taken this request.", code="taken")
    if request.status == RequestStatus.CANCELLED:
        raise Conflict("The learner cancelled this request.", code="cancelled")
    if request.status == RequestStatus.EXPIRED:
        raise Conflict("This request has expired.", code="expired")
    if offer is not None and offer.status != OfferStatus.PENDING:
        raise Conflict(
            f"You cannot answer this offer any more: {offer.get_status_display().lower()}.",
            code="offer_closed",
        )


# --- learner -----------------------------------------------------------------------------------


def help_request_create(
    *,
    actor: User,
    subject_id: int,
    description: str,
    starts_at: datetime,
    duration_minutes: int,
) -> HelpRequest:
    """Ask for help: offered at once to the top N matching tutors (each notified)."""
    description = (description or "").strip()
    if not description:
        raise Invalid("Say what you need help with.", code="required", field="description")
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(
            f"Keep it under {DESCRIPTION_MAX} characters.", code="too_long", field="description"
        )
    scheduling.check_time(starts_at, duration_minutes)
    now = timezone.now()
    if starts_at <= now:
        raise Invalid("Pick a time in the future.", code="in_past", field="starts_at")
    subject = Subject.objects.filter(pk=subject_id).first()
    if subject is None or subject.kind == Subject.Kind.AREA:
        raise Invalid(
            "Pick a subject or a topic from the catalogue.",
            code="invalid_subject",
            field="subject_id",
        )
    # Ranked before the transaction: no lock is held while the ranker reads.
    candidates = _candidates(
        learner=actor,
        subject=subject,
        n=offer_count(),
        exclude_ids=[],
        starts_at=starts_at,
        duration_minutes=duration_minutes,
    )
    if not candidates:
        raise Invalid(
            "No tutor who teaches this subject is free at that time. Try another time or a "
            "broader subject.",
            code="no_tutors",
            field="subject_id",
        )
    with transaction.atomic():
        # Serialize one learner's requests so the open-request limit holds.
        User.objects.select_for_update().filter(pk=actor.pk).exists()
        if (
            HelpRequest.objects.filter(learner=actor, status=RequestStatus.OPEN).count()
            >= MAX_OPEN_REQUESTS
        ):
            raise Conflict(
                f"You already have {MAX_OPEN_REQUESTS} open help requests: wait for an answer "
                "or cancel one.",
                code="too_many_open",
            )
        request = HelpRequest.objects.create(
            learner=actor,
            subject=subject,
            description=description,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
            round_ends_at=now + round_timeout(),
        )
        _offer_round(request, candidates, now)
    return request


def help_request_cancel(*, actor: User, request_id: int) -> HelpRequest:
    with transaction.atomic():
        request = _lock(request_id)
        if request.learner_id != actor.pk:
            raise NotFound("No such help request.")
        _require_open(request)
        now = timezone.now()
        request.status = RequestStatus.CANCELLED
        request.closed_at = now
        request.save(update_fields=["status", "closed_at"])
        _close_pending(request, OfferStatus.CANCELLED, now)
        _request_event(request, "cancelled")
    return request


# --- tutor -------------------------------------------------------------------------------------


def _offer_of(actor: User, offer_id: int) -> HelpOffer:
    offer = HelpOffer.objects.filter(pk=offer_id, tutor=actor).first()
    if offer is None:
        raise NotFound("No such offer.")
    return offer


def help_offer_accept(*, actor: User, offer_id: int) -> HelpOffer:
    """Take the request. Exactly one tutor wins: the request row is locked, so concurrent
    accepts queue and the later ones see it taken. The booking is requested for the learner and
    confirmed by the tutor through the scheduling services, in the same transaction, so their
    rules apply; when the tutor cannot be booked then (busy, outside their availability, too
    soon), the offer is recorded as "unavailable", the request stays open and ``Conflict``
    (code ``unavailable``) is raised."""
    request_id = _offer_of(actor, offer_id).request_id
    failure: ServiceError | None = None
    with transaction.atomic():
        request = _lock(request_id)
        offer = HelpOffer.objects.select_for_update().get(pk=offer_id)
        _require_open(request, offer)
        now = timezone.now()
        offer.responded_at = now
        try:
            with transaction.atomic():
                booking = scheduling.booking_request(
                    actor=request.learner,
                    tutor_id=actor.pk,
                    subject_id=_booking_subject_id(actor, request.subject),
                    starts_at=request.starts_at,
                    duration_minutes=request.duration_minutes,
                    note=request.description,
                    tell_tutor=False,
                )
                booking = scheduling.booking_accept(actor=actor, booking_id=booking.pk)
        except ServiceError as exc:
            failure = exc
            offer.status = OfferStatus.UNAVAILABLE
            offer.decline_reason = exc.message[:300]
            offer.closed_at = now
            offer.save(update_fields=["status", "decline_reason", "responded_at", "closed_at"])
            _offer_event(offer)
            _request_event(request, "unavailable", actor.pk)
            _advance_if_all_answered(request, now)
        else:
            offer.status = OfferStatus.ACCEPTED
            offer.closed_at = now
            offer.save(update_fields=["status", "responded_at", "closed_at"])
            request.status = RequestStatus.ACCEPTED
            request.accepted_by = actor
            request.booking = booking
            request.closed_at = now
            request.save(update_fields=["status", "accepted_by", "booking", "closed_at"])
            impression_link_booking(help_offer_id=offer.pk, booking_id=booking.pk, at=now)
            _close_pending(request, OfferStatus.TAKEN, now)
            _offer_event(offer)
            _request_event(request, "accepted", actor.pk)
            notify(
                user=request.learner,
                kind=Notification.Kind.HELP_REQUEST,
                title=f"{actor.display_name} will help you with {request.subject.name}",
                body=(
                    f"Accepted after {offer.response_seconds} seconds. Your session is confirmed."
                ),
                url=reverse("scheduling:detail", args=[booking.pk]),
            )
    if failure is not None:
        raise Conflict(
            f"You cannot take this request: {failure.message}", code="unavailable"
        ) from failure
    return offer


def help_offer_decline(*, actor: User, offer_id: int, reason: str = "") -> HelpOffer:
    """Say no (recorded, with the optional reason: the ranker learns from it). When every tutor
    of the round has answered no, the request widens at once."""
    request_id = _offer_of(actor, offer_id).request_id
    with transaction.atomic():
        request = _lock(request_id)
        offer = HelpOffer.objects.select_for_update().get(pk=offer_id)
        _require_open(request, offer)
        now = timezone.now()
        offer.status = OfferStatus.DECLINED
        offer.decline_reason = (reason or "").strip()[:300]
        offer.responded_at = now
        offer.closed_at = now
        offer.save(update_fields=["status", "decline_reason", "responded_at", "closed_at"])
        _offer_event(offer)
        _request_event(request, "declined", actor.pk)
        _advance_if_all_answered(request, now)
    return offer


# --- system ------------------------------------------------------------------------------------


def help_request_round_end(*, request_id: int, round: int) -> HelpRequest | None:
    """The deferred task at the end of a round: widen or expire. Idempotent: does nothing when
    the request was closed or already moved to another round."""
    with transaction.atomic():
        try:
            request = _lock(request_id)
        except NotFound:
            return None
        if request.status != RequestStatus.OPEN or request.round != round:
            return None
        _advance(request, timezone.now())
    return request
