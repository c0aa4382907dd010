"""Writes for scheduling: the booking lifecycle, group seats, series and calendar feeds.

Every state change is one function, in one transaction, recorded as a ``BookingEvent``.
Illegal transitions raise ``Conflict`` (HTTP 409) with a clear message. Overlaps are refused by
the database on PostgreSQL (exclusion constraint on ``TimeClaim``) and by a re-check inside a
serialized (``BEGIN IMMEDIATE``) transaction on SQLite; either way the caller gets ``Conflict``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from peerlearn.accounts.audit import audit_record
from peerlearn.accounts.hooks import UserSuspended
from peerlearn.accounts.models import Subject, TeachingSubject, User
from peerlearn.common import hooks
from peerlearn.common.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

from . import selectors
from .hooks import BookingAsked, BookingCompleted
from .models import (
    Booking,
    BookingEvent,
    BookingSeries,
    CalendarFeed,
    RescheduleProposal,
    TimeClaim,
    TutorPolicy,
)
from .notify import Kind, notify_booking, schedule_reminders

Status = Booking.Status
OVERLAP_MESSAGE = "That time is no longer free: it overlaps another session."


# --- helpers ---------------------------------------------------------------------------------


def _lock(booking_id: int) -> Booking:
    try:
        return (
            Booking.objects.select_for_update()
            .select_related("tutor", "subject")
            .get(pk=booking_id)
        )
    except Booking.DoesNotExist as exc:
        raise NotFound("No such session.") from exc


def _record(
    booking: Booking, actor: User | None, action: str, before: str, reason: str = "", **data: object
) -> None:
    BookingEvent.objects.create(
        booking=booking,
        actor=actor,
        action=action,
        from_status=before,
        to_status=booking.status,
        reason=reason[:500],
        data={k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()},
    )


def _require_status(booking: Booking, allowed: tuple[str, ...], action: str) -> None:
    if booking.status not in allowed:
        raise Conflict(
            f"You cannot {action} a session that is {booking.get_status_display().lower()}.",
            code="illegal_transition",
        )


def _require_allowed(booking: Booking, actor: User, action: str) -> None:
    """The last guard of every booking action: ``selectors.allowed_actions``, the rule the page's
    buttons and the API's ``actions`` show. The specific checks before it explain the common
    refusals (who, which state); this catches the rest, such as a request whose time passed."""
    if action in selectors.allowed_actions(booking, actor):
        return
    if timezone.now() >= booking.starts_at:
        raise Conflict(
            "This session's start time has passed, so it can no longer be changed that way.",
            code="started",
        )
    raise Conflict("That is not possible for this session now.", code="illegal_transition")


def _learner_ids(booking: Booking) -> list[int]:
    return list(
        booking.claims.filter(role=TimeClaim.Role.LEARNER, active=True).values_list(
            "user_id", flat=True
        )
    )


def _is_participant(booking: Booking, user: User) -> bool:
    """Takes or took part (a learner of a cancelled booking still sees it, and gets a 409
    rather than a 404 when acting on it)."""
    return booking.tutor_id == user.pk or booking.claims.filter(user=user).exists()


def _require_participant(booking: Booking, user: User) -> None:
    if not _is_participant(booking, user):
        raise NotFound("No such session.")


def _lock_people(user_ids: list[int]) -> None:
    """Lock the people whose time is about to be claimed, always in id order. Two requests
    for the same tutor then queue instead of deadlocking inside the exclusion constraint's
    check (PostgreSQL); on SQLite the whole write transaction is already serialized."""
    list(
        User.objects.select_for_update()
        .filter(pk__in=sorted(set(user_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _check_free(
    user: User, start: datetime, end: datetime, *, exclude_booking: int | None = None
) -> None:
    """The portable half of the no-overlap rule (the whole of it on SQLite, where the write
    transaction is serialized; on PostgreSQL the exclusion constraint is the final word)."""
    if selectors.BusyTimes(user, start, end, exclude_booking=exclude_booking).overlaps(start, end):
        raise Conflict(OVERLAP_MESSAGE, code="overlap")


def _claim(booking: Booking, user: User, role: str, start: datetime, end: datetime) -> TimeClaim:
    _lock_people([user.pk])  # a no-op when _claim_all already locked everyone in order
    _check_free(user, start, end, exclude_booking=booking.pk)
    try:
        with transaction.atomic():
            claim, _ = TimeClaim.objects.update_or_create(
                booking=booking,
                user=user,
                defaults={"role": role, "starts_at": start, "ends_at": end, "active": True},
            )
    except IntegrityError as exc:  # the exclusion constraint on PostgreSQL
        raise Conflict(OVERLAP_MESSAGE, code="overlap") from exc
    return claim


def _claim_all(booking: Booking, learners: list[User]) -> None:
    _lock_people([booking.tutor_id, *(u.pk for u in learners)])
    policy = selectors.policy_for(booking.tutor)
    _claim(
        booking,
        booking.tutor,
        TimeClaim.Role.TUTOR,
        *selectors.tutor_claim_period(policy, booking.starts_at, booking.ends_at),
    )
    for learner in learners:
        _claim(booking, learner, TimeClaim.Role.LEARNER, booking.starts_at, booking.ends_at)


def _release_all(booking: Booking) -> None:
    booking.claims.update(active=False)


def check_time(start: datetime, duration_minutes: int) -> datetime:
    """A session's length is one of ``DURATIONS`` and its start is time-zone aware; its end."""
    if duration_minutes not in selectors.DURATIONS:
        raise Invalid(
            "Sessions last 30, 45, 60 or 90 minutes.",
            code="invalid_duration",
            field="duration_minutes",
        )
    if timezone.is_naive(start):
        raise Invalid("Give the time with its time zone.", code="naive_datetime", field="starts_at")
    return start + timedelta(minutes=duration_minutes)


def _check_slot(
    tutor: User, start: datetime, duration_minutes: int, *, exclude_booking: int | None = None
) -> None:
    slots = selectors.bookable_slots(
        tutor=tutor,
        duration_minutes=duration_minutes,
        start=start,
        end=start + timedelta(minutes=duration_minutes),
        exclude_booking=exclude_booking,
    )
    if not any(s.starts_at == start for s in slots):
        raise Conflict(
            "That time is not bookable: it is outside the tutor's availability, too soon, on a "
            "full day, or it overlaps another session.",
            code="slot_unavailable",
        )


# --- requests --------------------------------------------------------------------------------


def booking_request(
    *,
    actor: User,
    tutor_id: int,
    subject_id: int,
    starts_at: datetime,
    duration_minutes: int,
    note: str = "",
    series: BookingSeries | None = None,
    tell_tutor: bool = True,
) -> Booking:
    """A learner asks a tutor for a one-to-one session at a bookable slot. Both are then busy
    for that time (the request holds the slot) until it is declined or cancelled. The tutor is
    told of the request, unless ``tell_tutor`` is False (a help request the tutor is accepting
    in the same transaction: they hear of the confirmation instead)."""
    ends_at = check_time(starts_at, duration_minutes)
    try:
        tutor = User.objects.get(pk=tutor_id, is_active=True)
    except User.DoesNotExist as exc:
        raise NotFound("No such tutor.") from exc
    if tutor.pk == actor.pk:
        raise Invalid("You cannot book yourself.", code="self_booking", field="tutor_id")
    # Apps above may refuse (messaging: the tutor blocked this learner): scheduling/hooks.py.
    hooks.publish(BookingAsked(learner=actor, tutor=tutor), on_commit=False)
    if not TeachingSubject.objects.filter(user=tutor, subject_id=subject_id).exists():
        raise Invalid(
            "This tutor does not teach that subject.", code="not_taught", field="subject_id"
        )
    with transaction.atomic():
        _lock_people([tutor.pk, actor.pk])
        _check_slot(tutor, starts_at, duration_minutes)
        booking = Booking.objects.create(
            tutor=tutor,
            subject=Subject.objects.get(pk=subject_id),
            starts_at=starts_at,
            ends_at=ends_at,
            note=note.strip()[:500],
            created_by=actor,
            series=series,
        )
        _claim_all(booking, [actor])
        _record(booking, actor, "request", "", note=note[:200])
        if tell_tutor:
            transaction.on_commit(
                partial(
                    notify_booking,
                    booking.pk,
                    Kind.BOOKING_REQUEST,
                    recipients=[tutor.pk],
                )
            )
    return booking


def booking_accept(*, actor: User, booking_id: int) -> Booking:
    """The tutor confirms a request. Reminders are scheduled and both sides get an invitation."""
    with transaction.atomic():
        booking = _lock(booking_id)
        _require_participant(booking, actor)
        if booking.tutor_id != actor.pk:
            raise Forbidden("Only the tutor can accept this request.")
        _require_status(booking, (Status.REQUESTED,), "accept")
        _require_allowed(booking, actor, "accept")
        before = booking.status
        booking.status = Status.CONFIRMED
        booking.sequence += 1
        booking.save(update_fields=["status", "sequence", "updated_at"])
        _record(booking, actor, "accept", before)
        learners = _learner_ids(booking)
        transaction.on_commit(
            partial(
                notify_booking,
                booking.pk,
                Kind.BOOKING_CONFIRMED,
                recipients=[*learners, actor.pk],
            )
        )
        transaction.on_commit(partial(schedule_reminders, booking.pk))
    return booking


def booking_decline(*, actor: User, booking_id: int, reason: str) -> Booking:
    """The tutor declines a request (or the learner declines a counter-proposal), with a reason."""
    reason = reason.strip()
    if not reason:
        raise Invalid(
            "Say why, briefly: the other side will see it.", code="required", field="reason"
        )
    with transaction.atomic():
        booking = _lock(booking_id)
        _require_participant(booking, actor)
        learners = _learner_ids(booking)
        if booking.status == Status.REQUESTED and booking.tutor_id != actor.pk:
            raise Forbidden("Only the tutor can decline this request.")
        if booking.status == Status.COUNTERED and actor.pk not in learners:
            raise Forbidden("Only the learner can decline this counter-proposal.")
        _require_status(booking, (Status.REQUESTED, Status.COUNTERED), "decline")
        _require_allowed(booking, actor, "decline")
        before = booking.status
        booking.status = Status.DECLINED
        booking.save(update_fields=["status", "updated_at"])
        _release_all(booking)
        _record(booking, actor, "decline", before, reason)
        other = [uid for uid in [booking.tutor_id, *learners] if uid != actor.pk]
        transaction.on_commit(
            partial(
                notify_booking,
                booking.pk,
                Kind.BOOKING_DECLINED,
                recipients=other,
                reason=reason,
            )
        )
    return booking


def booking_counter(
    *, actor: User, booking_id: int, starts_at: datetime, note: str = ""
) -> Booking:
    """The tutor proposes another time for a request; the learner then accepts or declines.
    The new time is held at once (and the old one freed)."""
    with transaction.atomic():
        booking = _lock(booking_id)
        _require_participant(booking, actor)
        if booking.tutor_id != actor.pk:
            raise Forbidden("Only the tutor can propose another time.")
        _require_status(booking, (Status.REQUESTED,), "counter-propose")
        _require_allowed(booking, actor, "counter")
        duration = booking.duration_minutes
        ends_at = check_time(starts_at, duration)
        _check_slot(booking.tutor, starts_at, duration, exclude_booking=booking.pk)
        before, old_start = booking.status, booking.starts_at
        booking.starts_at, booking.ends_at, booking.status = starts_at, ends_at, Status.COUNTERED
        booking.save(update_fields=["starts_at", "ends_at", "status", "updated_at"])
        learners = list(User.objects.filter(pk__in=_learner_ids(booking)))
        _claim_all(booking, learners)
        _record(booking, actor, "counter", before, note, old_start=old_start, new_start=starts_at)
        transaction.on_commit(
            partial(
                notify_booking,
                booking.pk,
                Kind.BOOKING_COUNTERED,
                recipients=[u.pk for u in learners],
                reason=note,
            )
        )
    return booking


def booking_counter_accept(*, actor: User, booking_id: int) -> Booking:
    with transaction.atomic():
        booking = _lock(booking_id)
        _require_participant(booking, actor)
        if actor.pk not in _learner_ids(booking):
            raise Forbidden("Only the learner can accept this counter-proposal.")
        _require_status(booking, (Status.COUNTERED,), "accept the counter-proposal of")
        _require_allowed(booking, actor, "counter_accept")
        before = booking.status
        booking.status = Status.CONFIRMED
        booking.sequence += 1
        booking.save(update_fields=["status", "sequence", "updated_at"])
        _record(booking, actor, "accept_counter", before)
        transaction.on_commit(
            partial(
                notify_booking,
                booking.pk,
                Kind.BOOKING_CONFIRMED,
                recipients=[booking.tutor_id, actor.pk],
            )
        )
        transaction.on_commit(partial(schedule_reminders, booking.pk))
    return booking


# --- changes to confirmed sessions --------------------------------------------------------------


def booking_reschedule_propose(
    *, actor: User, booking_id: int, starts_at: datetime
) -> RescheduleProposal:
    """Either side proposes a new time for a confirmed session; the original stands until the
    other side agrees."""
    with transaction.atomic():
        booking = _lock(booking_id)
        _require_participant(booking, actor)
        if booking.kind == Booking.Kind.GROUP:
            raise Invalid(
                "Group sessions cannot be rescheduled; cancel and offer a new one.",
                code="group_session",
            )
        _require_status(booking, (Status.CONFIRMED,), "reschedule")
        ends_at = check_time(starts_at, booking.duration_minutes)
        if starts_at <= timezone.now():
            raise Invalid("Pick a time in the future.", code="in_past", field="starts_at")
        _check_slot(booking.tutor, starts_at, booking.duration_minutes, exclude_booking=booking.pk)
        booking.reschedule_proposals.filter(status=RescheduleProposal.Status.PENDING).update(
            status=RescheduleProposal.Status.WITHDRAWN
        )
        proposal = RescheduleProposal.objects.create(
            booking=booking, proposed_by=actor, starts_at=starts_at, ends_at=ends_at
        )
        _record(booking, actor, "propose_reschedule", booking.status, new_start=starts_at)
        other = [uid for uid in [booking.tutor_id, *_learner_ids(booking)] if uid != actor.pk]
        transaction.on_commit(
            partial(
                notify_booking,
                booking.pk,
                Kind.BOOKING_CHANGED,
                recipients=other,
                reason="A new time was proposed: please accept or decline it.",
                invite=False,
            )
        )
    return proposal


def booking_reschedule_respond(*, actor: User, proposal_id: int, accept: bool) -> Booking:
    """The other side accepts (the session moves; invitations update; old reminders lapse) or
    declines (the original time stands)."""
    with transaction.atomic():
        try:
            proposal = RescheduleProposal.objects.select_for_update().get(pk=proposal_id)
        except RescheduleProposal.DoesNotExist as exc:
            raise NotFound("No such proposal.") from exc
        booking = _lock(proposal.booking_id)
        if not _is_participant(booking, actor):
            raise NotFound("No such proposal.")  # a stranger learns nothing
        if proposal.proposed_by_id == actor.pk:
            raise Forbidden("The other side has to answer your proposal.")
        if proposal.status != RescheduleProposal.Status.PENDING:
            raise Conflict("This proposal has already been answered.", code="illegal_transition")
        _require_status(booking, (Status.CONFIRMED,), "reschedule")
        recipients = [booking.tutor_id, *_learner_ids(booking)]
        if not accept:
            proposal.status = RescheduleProposal.Status.DECLINED
            proposal.save(update_fields=["status"])
            _record(booking, actor, "decline_reschedule", booking.status)
            transaction.on_commit(
                partial(
                    notify_booking,
                    booking.pk,
                    Kind.BOOKING_CHANGED,
                    recipients=[proposal.proposed_by_id],
                    reason="The new time was declined; the original time stands.",
                    invite=False,
                )
            )
            return booking
        old_start = booking.starts_at
        booking.starts_at, booking.ends_at = proposal.starts_at, proposal.ends_at
        booking.sequence += 1
        booking.save(update_fields=["starts_at", "ends_at", "sequence", "updated_at"])
        _claim_all(booking, list(User.objects.filter(pk__in=_learner_ids(booking))))
        proposal.status = RescheduleProposal.Status.ACCEPTED
        proposal.save(update_fields=["status"])
        _record(
            booking,
            actor,
            "reschedule",
            booking.status,
            old_start=old_start,
            new_start=booking.starts_at,
        )
        transaction.on_commit(
            partial(
                notify_booking,
                booking.pk,
                Kind.BOOKING_CHANGED,
                recipients=recipients,
                reason="The session has moved to a new time.",
            )
        )
        transaction.on_commit(partial(schedule_reminders, booking.pk))
    return booking


def _clean_cancel_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise Invalid(
            "Say why, briefly: the other side will see it.", code="required", field="reason"
        )
    return reason


def _cancel_locked(booking: Booking, actor: User, reason: str, *, notify_ids: list[int]) -> None:
    """Cancel a locked, active, not yet started booking; tell ``notify_ids`` on commit."""
    _require_status(booking, Booking.ACTIVE_STATUSES, "cancel")
    before = booking.status
    now = timezone.now()
    if now >= booking.starts_at:
        raise Conflict(
            "The session has started; mark it completed or a no-show instead.",
            code="illegal_transition",
        )
    booking.cancelled_late = (
        before == Status.CONFIRMED and booking.starts_at - now < selectors.cancellation_cutoff()
    )
    booking.status = Status.CANCELLED
    booking.sequence += 1
    booking.save(update_fields=["status", "sequence", "cancelled_late", "updated_at"])
    _release_all(booking)
    _record(booking, actor, "cancel", before, reason, late=booking.cancelled_late)
    transaction.on_commit(
        partial(
            notify_booking,
            booking.pk,
            Kind.BOOKING_CANCELLED,
            recipients=notify_ids,
            reason=reason,
            cancelled=before == Status.CONFIRMED,
        )
    )


def booking_cancel(*, actor: User, booking_id: int, reason: str) -> Booking:
    """Either side cancels a pending or confirmed session. Inside the cut-off before the start
    (BOOKING_CANCELLATION_CUTOFF_HOURS) a confirmed session's cancellation counts as late."""
    reason = _clean_cancel_reason(reason)
    with transaction.atomic():
        booking = _lock(booking_id)
        _require_participant(booking, actor)
        if booking.kind == Booking.Kind.GROUP and booking.tutor_id != actor.pk:
            raise Forbidden("Leave the group session instead: only its tutor can cancel it.")
        people = [booking.tutor_id, *_learner_ids(booking)]
        _cancel_locked(booking, actor, reason, notify_ids=[u for u in people if u != actor.pk])
    return booking


def booking_cancel_by_staff(*, actor: User, booking_id: int, reason: str) -> Booking:
    """An administrator cancels a session for its participants (all of them are told why).
    Never counts as a late cancellation of either side. Audited."""
    if not actor.has_perm("scheduling.change_booking"):
        raise Forbidden("Only administrators can cancel other people's sessions.")
    reason = _clean_cancel_reason(reason)
    with transaction.atomic():
        booking = _lock(booking_id)
        _cancel_locked(
            booking, actor, reason, notify_ids=[booking.tutor_id, *_learner_ids(booking)]
        )
        if booking.cancelled_late:
            booking.cancelled_late = False
            booking.save(update_fields=["cancelled_late"])
        audit_record(actor=actor, action="scheduling.cancel", target=booking, reason=reason)
    return booking


def user_suspended(event: UserSuspended) -> None:
    """Accounts' hook (subscribed in ``SchedulingConfig.ready``), after a suspension is
    committed: withdraw the person from their sessions that have not started; audited."""
    cancelled = bookings_cancel_for_user(
        actor=event.actor,
        user=event.user,
        reason="The other participant's account was suspended.",
    )
    if cancelled:
        with transaction.atomic():
            audit_record(
                actor=event.actor,
                action="accounts.suspend_bookings",
                target=event.user,
                data={"sessions_changed": cancelled},
            )


def bookings_cancel_for_user(*, actor: User, user: User, reason: str) -> int:
    """Withdraw ``user`` from every session that has not started yet (they were suspended or
    deleted their account): a session they tutor or take one-to-one is cancelled, with a
    notice to the others; their seat in someone's group session is released. Returns how many
    sessions changed. Never late, never a no-show: the others did nothing wrong."""
    changed = 0
    upcoming = (
        Booking.objects.filter(status__in=Booking.ACTIVE_STATUSES, starts_at__gt=timezone.now())
        .filter(Q(tutor=user) | Q(claims__user=user, claims__active=True))
        .values_list("pk", flat=True)
        .distinct()
    )
    for booking_id in list(upcoming):
        with transaction.atomic():
            booking = _lock(booking_id)
            if not booking.is_active or booking.starts_at <= timezone.now():
                continue
            if booking.kind == Booking.Kind.GROUP and booking.tutor_id != user.pk:
                booking.claims.filter(user=user, active=True).update(active=False)
                _record(booking, actor, "release_seat", booking.status, reason)
            else:
                others = [u for u in [booking.tutor_id, *_learner_ids(booking)] if u != user.pk]
                _cancel_locked(booking, actor, reason, notify_ids=others)
                booking.cancelled_late = False
                booking.save(update_fields=["cancelled_late"])
            changed += 1
    return changed


def booking_complete(*, actor: User, booking_id: int) -> Booking:
    with transaction.atomic():
        booking = _lock(booking_id)
        _require_participant(booking, actor)
        _require_status(booking, (Status.CONFIRMED,), "complete")
        if timezone.now() < booking.ends_at:
            raise Conflict("A session can be marked completed after it ends.", code="too_early")
        before = booking.status
        booking.status = Status.COMPLETED
        booking.save(update_fields=["status", "updated_at"])
        _record(booking, actor, "complete", before)
        # What a completed session leads to elsewhere (once this transaction commits): both
        # sides are asked to review each other, and both earn points (scheduling/hooks.py).
        hooks.publish(BookingCompleted(booking=booking))
    return booking


def booking_mark_no_show(*, actor: User, booking_id: int, absent_user_id: int) -> Booking:
    """After the end, a participant records that the other side did not come."""
    with transaction.atomic():
        booking = _lock(booking_id)
        _require_participant(booking, actor)
        _require_status(booking, (Status.CONFIRMED,), "mark a no-show for")
        if timezone.now() < booking.ends_at:
            raise Conflict("A no-show can be recorded after the session's end.", code="too_early")
        participants = [booking.tutor_id, *_learner_ids(booking)]
        if absent_user_id == actor.pk or absent_user_id not in participants:
            raise Invalid(
                "Pick the other participant.", code="invalid_participant", field="absent_user_id"
            )
        before = booking.status
        booking.status = Status.NO_SHOW
        booking.no_show_user_id = absent_user_id
        booking.save(update_fields=["status", "no_show_user", "updated_at"])
        _record(booking, actor, "no_show", before, absent_user_id=absent_user_id)
    return booking


# --- series and group sessions --------------------------------------------------------------


@dataclass(frozen=True)
class SeriesOccurrence:
    starts_at: datetime
    booking: Booking | None
    error: str = ""


def series_request(
    *,
    actor: User,
    tutor_id: int,
    subject_id: int,
    first_starts_at: datetime,
    duration_minutes: int,
    occurrences: int,
    note: str = "",
) -> tuple[BookingSeries, list[SeriesOccurrence]]:
    """Request the same weekly time N times (same wall-clock time in the tutor's zone, so it
    survives daylight-saving changes). Occurrences that conflict are reported one by one; the
    rest are requested."""
    if not 2 <= occurrences <= 26:
        raise Invalid(
            "A series has 2 to 26 weekly sessions.", code="invalid_occurrences", field="occurrences"
        )
    try:
        check_time(first_starts_at, duration_minutes)
    except ServiceError as exc:
        exc.field = "first_starts_at" if exc.field == "starts_at" else exc.field
        raise
    tutor = User.objects.filter(pk=tutor_id, is_active=True).first()
    if tutor is None:
        raise NotFound("No such tutor.")
    if tutor.pk == actor.pk:
        raise Invalid("You cannot book yourself.", code="self_booking", field="tutor_id")
    if not TeachingSubject.objects.filter(user=tutor, subject_id=subject_id).exists():
        raise Invalid(
            "This tutor does not teach that subject.", code="not_taught", field="subject_id"
        )
    tz = selectors.ZoneInfo(selectors.profile_ensure(user=tutor).timezone)
    local_first = first_starts_at.astimezone(tz)
    series = BookingSeries.objects.create(created_by=actor, occurrences=occurrences)
    results = []
    for week in range(occurrences):
        local = (local_first.replace(tzinfo=None) + timedelta(weeks=week)).replace(tzinfo=tz)
        start = local.astimezone(first_starts_at.tzinfo)
        try:
            booking = booking_request(
                actor=actor,
                tutor_id=tutor_id,
                subject_id=subject_id,
                starts_at=start,
                duration_minutes=duration_minutes,
                note=note,
                series=series,
            )
        except ServiceError as exc:
            results.append(SeriesOccurrence(start, None, exc.message))
        else:
            results.append(SeriesOccurrence(start, booking))
    return series, results


def group_session_create(
    *,
    actor: User,
    subject_id: int,
    starts_at: datetime,
    duration_minutes: int,
    capacity: int,
    title: str,
) -> Booking:
    """A tutor offers a group session; learners take seats until it is full."""
    ends_at = check_time(starts_at, duration_minutes)
    if not 2 <= capacity <= 50:
        raise Invalid("A group has 2 to 50 seats.", code="invalid_capacity", field="capacity")
    if not TeachingSubject.objects.filter(user=actor, subject_id=subject_id).exists():
        raise Invalid(
            "Offer group sessions only in subjects you teach.",
            code="not_taught",
            field="subject_id",
        )
    if starts_at <= timezone.now():
        raise Invalid("Pick a time in the future.", code="in_past", field="starts_at")
    with transaction.atomic():
        booking = Booking.objects.create(
            kind=Booking.Kind.GROUP,
            tutor=actor,
            subject_id=subject_id,
            starts_at=starts_at,
            ends_at=ends_at,
            capacity=capacity,
            title=title.strip()[:120] or "Group session",
            status=Status.CONFIRMED,
            created_by=actor,
            sequence=1,
        )
        _claim_all(booking, [])
        _record(booking, actor, "open_group", "")
    return booking


def group_seat_take(*, actor: User, booking_id: int) -> Booking:
    with transaction.atomic():
        booking = _lock(booking_id)  # the row lock serializes seat-taking on PostgreSQL
        if booking.kind != Booking.Kind.GROUP:
            raise NotFound("No such group session.")
        _require_status(booking, (Status.CONFIRMED,), "join")
        if booking.tutor_id == actor.pk:
            raise Invalid("You are running this session.", code="self_booking")
        if booking.starts_at <= timezone.now():
            raise Conflict("This session has started.", code="too_late")
        learners = _learner_ids(booking)
        if actor.pk in learners:
            return booking
        if len(learners) >= booking.capacity:
            raise Conflict("This group session is full.", code="full")
        _claim(booking, actor, TimeClaim.Role.LEARNER, booking.starts_at, booking.ends_at)
        _record(booking, actor, "take_seat", booking.status)
        transaction.on_commit(
            partial(
                notify_booking,
                booking.pk,
                Kind.BOOKING_CONFIRMED,
                recipients=[actor.pk],
            )
        )
        transaction.on_commit(partial(schedule_reminders, booking.pk, only_user=actor.pk))
    return booking


def group_seat_release(*, actor: User, booking_id: int) -> Booking:
    with transaction.atomic():
        booking = _lock(booking_id)
        if booking.kind != Booking.Kind.GROUP:
            raise NotFound("No such group session.")
        _require_status(booking, (Status.CONFIRMED,), "leave")
        if booking.starts_at <= timezone.now():
            raise Conflict("This session has started.", code="too_late")
        updated = booking.claims.filter(
            user=actor, role=TimeClaim.Role.LEARNER, active=True
        ).update(active=False)
        if not updated:
            raise NotFound("You do not have a seat in this session.")
        _record(booking, actor, "release_seat", booking.status)
    return booking


# --- policy and calendar ---------------------------------------------------------------------


def tutor_policy_update(
    *,
    actor: User,
    buffer_before_minutes: int,
    buffer_after_minutes: int,
    min_notice_hours: int,
    max_sessions_per_day: int,
    horizon_weeks: int,
) -> TutorPolicy:
    policy = selectors.policy_for(actor)
    for field, value, low, high in (
        ("buffer_before_minutes", buffer_before_minutes, 0, 120),
        ("buffer_after_minutes", buffer_after_minutes, 0, 120),
        ("min_notice_hours", min_notice_hours, 0, 336),
        ("max_sessions_per_day", max_sessions_per_day, 1, 24),
        ("horizon_weeks", horizon_weeks, 1, 26),
    ):
        if not low <= value <= high:
            raise Invalid(f"Must be between {low} and {high}.", code="out_of_range", field=field)
        setattr(policy, field, value)
    policy.save()
    return policy


def calendar_feed_regenerate(*, actor: User) -> CalendarFeed:
    """A new private URL; the old one stops working at once."""
    feed = selectors.calendar_feed_for(user=actor)
    feed.token = CalendarFeed._meta.get_field("token").get_default()
    feed.save(update_fields=["token", "created_at"])
    return feed
