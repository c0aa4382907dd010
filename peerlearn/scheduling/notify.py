"""What participants are told about their sessions, and when: notifications with calendar
invitations at every change, and reminders scheduled through the tasks framework."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from peerlearn.accounts.models import User
from peerlearn.notifications.models import (
    Notification,
    NotificationSettings,
    default_reminder_offsets,
)
from peerlearn.notifications.services import notify

from . import ics, selectors
from .models import Booking

Kind = Notification.Kind

TITLES: dict[str, str] = {
    Kind.BOOKING_REQUEST: "{other} asks for a session on {subject}",
    Kind.BOOKING_CONFIRMED: "Confirmed: {subject} with {other}",
    Kind.BOOKING_DECLINED: "Declined: {subject} with {other}",
    Kind.BOOKING_COUNTERED: "{other} proposes another time for {subject}",
    Kind.BOOKING_CHANGED: "Change to your session on {subject}",
    Kind.BOOKING_CANCELLED: "Cancelled: {subject} with {other}",
    Kind.BOOKING_REMINDER: "Reminder: {subject} with {other} {when}",
}


def _local(booking: Booking, user: User) -> str:
    tz = ZoneInfo(getattr(getattr(user, "profile", None), "timezone", "UTC") or "UTC")
    start = booking.starts_at.astimezone(tz)
    return f"{start:%a %d %b %Y, %H:%M} ({tz.key})"


def _other_name(booking: Booking, user: User) -> str:
    if booking.tutor_id != user.pk:
        return booking.tutor.display_name
    learners = [claim.user.display_name for claim in selectors.learner_claims(booking)]
    return ", ".join(learners) or "your learners"


def _load(booking_id: int) -> Booking:
    return (
        Booking.objects.select_related("tutor__profile", "subject")
        .prefetch_related("claims__user__profile")
        .get(pk=booking_id)
    )


def notify_booking(
    booking_id: int,
    kind: str,
    *,
    recipients: list[int],
    reason: str = "",
    cancelled: bool = False,
    when: str = "",
    invite: bool = True,
) -> None:
    """Tell each recipient (in-app, email with the .ics, SMS for reminders) about the booking.
    Confirmations and changes carry METHOD:REQUEST; cancellations of confirmed sessions CANCEL.
    ``invite=False`` for news that does not change the calendar entry (a proposal, say)."""
    booking = _load(booking_id)
    attach_invite = (
        invite
        and kind
        in {
            Kind.BOOKING_CONFIRMED,
            Kind.BOOKING_CHANGED,
            Kind.BOOKING_REMINDER,
        }
        and booking.status == Booking.Status.CONFIRMED
    )
    attach_cancel = kind == Kind.BOOKING_CANCELLED and cancelled
    attachments = []
    if attach_invite or attach_cancel:
        method = "CANCEL" if attach_cancel else "REQUEST"
        attachments.append(
            {
                "filename": "invite.ics",
                "content": ics.invitation(booking, cancelled=attach_cancel),
                "mimetype": f"text/calendar; method={method}",
            }
        )
    for user in User.objects.filter(pk__in=recipients).select_related("profile"):
        title = TITLES[kind].format(
            other=_other_name(booking, user), subject=booking.subject.name, when=when
        )
        lines = [f"When: {_local(booking, user)}, {booking.duration_minutes} minutes."]
        if booking.note and kind == Kind.BOOKING_REQUEST:
            lines.append(f"Note: {booking.note}")
        if reason:
            lines.append(
                f"Reason: {reason}"
                if kind in {Kind.BOOKING_DECLINED, Kind.BOOKING_CANCELLED}
                else reason
            )
        notify(
            user=user,
            kind=kind,
            title=title[:200],
            body="\n".join(lines),
            url=f"/sessions/{booking.pk}/",
            sms=kind == Kind.BOOKING_REMINDER,
            attachments=attachments or None,
        )


def reminder_offsets(user_id: int) -> list[int]:
    prefs = NotificationSettings.objects.filter(user_id=user_id).first()
    return list(prefs.reminder_offsets_minutes) if prefs else default_reminder_offsets()


def schedule_reminders(booking_id: int, *, only_user: int | None = None) -> int:
    """Enqueue one reminder task per participant and chosen offset still in the future. Each
    task carries the booking's current ``sequence``: after any change it finds a newer
    sequence and does nothing, so a moved or cancelled session never sends a stale reminder."""
    from .tasks import send_booking_reminder

    booking = _load(booking_id)
    if booking.status != Booking.Status.CONFIRMED:
        return 0
    participants = {booking.tutor_id} | {c.user_id for c in booking.claims.all() if c.active}
    if only_user is not None:
        participants &= {only_user}
    now = timezone.now()
    count = 0
    for user_id in sorted(participants):
        for minutes in reminder_offsets(user_id):
            run_at = booking.starts_at - timedelta(minutes=minutes)
            if run_at <= now:
                continue
            send_booking_reminder.using(run_after=run_at).enqueue(
                booking.pk, booking.sequence, user_id, minutes
            )
            count += 1
    return count


def describe_offset(minutes: int) -> str:
    if minutes % 1440 == 0:
        days = minutes // 1440
        return "tomorrow" if days == 1 else f"in {days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "in 1 hour" if hours == 1 else f"in {hours} hours"
    return f"in {minutes} minutes"
