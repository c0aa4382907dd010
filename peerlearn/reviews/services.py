"""Writes for reviews: asking for them, submitting and editing, telling people when they can
read what was written about them, reporting and hiding.

Rules (each enforced here, with the database as a backstop where it can be):
- only a participant of a completed session reviews it (a learner the tutor, the tutor each
  learner), never themselves, and only until 14 days after the session's end;
- one review per author, session and subject (unique constraint);
- the author may edit it for 48 hours after the first submission, until it is revealed;
- scores are whole numbers 1–5 (check constraints), the comment plain text of at most 2000
  characters, tags only from the direction's fixed list;
- a report is rate-limited and made once per person; only moderators hide, with a reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.formats import date_format

from peerlearn.accounts.audit import audit_record
from peerlearn.accounts.models import User
from peerlearn.accounts.roles import require_moderator
from peerlearn.common import hooks, ratelimit
from peerlearn.common.errors import Conflict, Forbidden, Invalid, NotFound
from peerlearn.notifications.models import Notification
from peerlearn.notifications.services import notify
from peerlearn.scheduling.hooks import BookingCompleted
from peerlearn.scheduling.models import Booking

from . import selectors
from .hooks import ReviewSubmitted, TutorReviewRevealed
from .models import (
    COMMENT_MAX,
    HIDE_REASON_MAX,
    LEARNER_DIMENSIONS,
    LEARNER_TAGS,
    REPORT_REASON_MAX,
    TUTOR_DIMENSIONS,
    TUTOR_TAGS,
    Review,
    ReviewReport,
    ReviewRequest,
    TutorRatingTotal,
    window_closes_at,
)
from .tasks import notify_reveals_task

logger = logging.getLogger(__name__)

REPORT_LIMIT = 5  # reports per person …
REPORT_WINDOW_SECONDS = 3600  # … per hour


def review_url(booking_id: int) -> str:
    return f"/reviews/bookings/{booking_id}/"


def _day(moment: datetime) -> str:
    return date_format(moment.astimezone(UTC), "j F Y")


# --- asking -------------------------------------------------------------------------------------


def booking_completed(event: BookingCompleted) -> None:
    """Scheduling's hook (subscribed in ``ReviewsConfig.ready``): ask both sides for reviews."""
    reviews_request(booking=event.booking)


def reviews_request(*, booking: Booking) -> int:
    """Ask every participant of a completed session (the tutor and each learner who kept their
    seat) to review the other side, in the app and by email. Idempotent: a participant is asked
    once per booking (``ReviewRequest``); returns how many were asked now. A booking that is not
    completed, or whose review window has closed, asks nobody.

    Call it after the booking is stored as completed (``booking_completed`` below handles
    scheduling's ``BookingCompleted`` hook with it, on commit)."""
    booking = Booking.objects.select_related("tutor__profile", "subject").get(pk=booking.pk)
    if not selectors.review_window_open(booking):
        return 0
    learners = selectors.learners_of(booking)
    if not learners:
        return 0
    due = _day(window_closes_at(booking))
    url = review_url(booking.pk)
    tutor = booking.tutor
    sent = 0
    with transaction.atomic():
        for person in [tutor, *learners]:
            try:
                with transaction.atomic():
                    ReviewRequest.objects.create(booking=booking, user=person)
            except IntegrityError:
                continue  # asked before
            if person.pk == tutor.pk:
                names = ", ".join(learner.display_name for learner in learners)
                title = f"How did your {booking.subject.name} session with {names} go?"
                body = (
                    "Rate each learner on preparedness and engagement and add a comment. "
                    "Your review stays hidden until the learner has reviewed you too, or until "
                    f"the review window closes on {due}."
                )
            else:
                title = f"How was your {booking.subject.name} session with {tutor.display_name}?"
                body = (
                    f"Rate {tutor.display_name} on clarity, knowledge, patience and "
                    "punctuality and add a comment. Your review stays hidden until "
                    f"{tutor.display_name} has reviewed you too, or until the review window "
                    f"closes on {due}."
                )
            notify(
                user=person, kind=Notification.Kind.REVIEW_REQUEST, title=title, body=body, url=url
            )
            sent += 1
        if sent:
            _schedule_window_close(booking)
    return sent


def _schedule_window_close(booking: Booking) -> None:
    run_at = window_closes_at(booking)
    transaction.on_commit(
        partial(notify_reveals_task.using(run_after=run_at).enqueue, booking.pk), robust=True
    )


# --- validation ---------------------------------------------------------------------------------


def _clean_scores(scores: Mapping[str, Any], dimensions: tuple[str, ...]) -> dict[str, int]:
    unknown = set(scores) - set(dimensions)
    if unknown:
        name = sorted(unknown)[0]
        raise Invalid(f"{name!r} is not rated in this review.", code="invalid_score", field=name)
    cleaned: dict[str, int] = {}
    for name in dimensions:
        value = scores.get(name)
        if value is None or value == "":
            raise Invalid(f"Rate {name} from 1 to 5 stars.", code="score_required", field=name)
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise Invalid("Scores are whole numbers 1–5.", code="invalid_score", field=name)
        try:
            number = int(value)
        except ValueError as exc:
            raise Invalid(
                "Scores are whole numbers 1–5.", code="invalid_score", field=name
            ) from exc
        if not 1 <= number <= 5:
            raise Invalid("Scores are whole numbers 1–5.", code="invalid_score", field=name)
        cleaned[name] = number
    return cleaned


def _clean_comment(comment: str | None) -> str:
    text = (comment or "").replace("\r\n", "\n").strip()
    if len(text) > COMMENT_MAX:
        raise Invalid(
            f"Keep the comment under {COMMENT_MAX} characters (it has {len(text)}).",
            code="comment_too_long",
            field="comment",
        )
    return text


def _clean_tags(tags: Sequence[str] | None, known: Mapping[str, str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags or []:
        if not isinstance(tag, str) or tag not in known:
            raise Invalid(
                f"{tag!r} is not one of the tags: {', '.join(known)}.",
                code="invalid_tag",
                field="tags",
            )
        if tag not in cleaned:
            cleaned.append(tag)
    return cleaned


def _direction(author: User, booking: Booking) -> str:
    if booking.tutor_id == author.pk:
        return Review.Direction.OF_LEARNER
    return Review.Direction.OF_TUTOR


def _fill(review: Review, scores: dict[str, int], comment: str, tags: list[str]) -> None:
    for name, value in scores.items():
        setattr(review, name, value)
    review.comment = comment
    review.tags = tags
    review.overall = review.compute_overall()


# --- writing ------------------------------------------------------------------------------------


def review_submit(
    *,
    actor: User,
    booking_id: int,
    subject_id: int | None = None,
    scores: Mapping[str, Any],
    comment: str = "",
    tags: Sequence[str] | None = None,
) -> Review:
    """Store ``actor``'s review of ``subject_id`` on a completed session.

    Preconditions: ``actor`` took part in the completed booking (else ``NotFound``); the subject
    is the other side (a learner's subject is the tutor and may be left out; the tutor names the
    learner); the window (14 days from the session's end) is open; no review by the actor of that
    subject on that booking exists (``Conflict``, also when a concurrent one wins the unique
    constraint).

    Effects: the review is stored; if the subject had already reviewed the actor, both reviews
    are now revealed and each side is told; gamification hears of the new review (on commit) and
    a task to reveal everything at the window's close is scheduled."""
    booking = selectors.access_reviewable_booking(user=actor, booking_id=booking_id)
    if subject_id is not None and subject_id == actor.pk:
        raise Invalid("You cannot review yourself.", code="self_review", field="subject_id")
    candidates = selectors.subjects_for(actor, booking)
    if subject_id is None:
        if len(candidates) != 1:
            raise Invalid(
                "Choose which learner you are reviewing.", code="required", field="subject_id"
            )
        subject = candidates[0]
    else:
        found = [person for person in candidates if person.pk == subject_id]
        if not found:
            raise Forbidden(
                "You can only review the other side of this session.",
                code="not_a_participant",
                field="subject_id",
            )
        subject = found[0]
    if timezone.now() > window_closes_at(booking):
        raise Conflict("The review window for this session has closed.", code="window_closed")
    direction = _direction(actor, booking)
    dimensions = TUTOR_DIMENSIONS if direction == Review.Direction.OF_TUTOR else LEARNER_DIMENSIONS
    known_tags = TUTOR_TAGS if direction == Review.Direction.OF_TUTOR else LEARNER_TAGS
    clean_scores = _clean_scores(scores, dimensions)
    clean_comment = _clean_comment(comment)
    clean_tags = _clean_tags(tags, known_tags)

    with transaction.atomic():
        # One submission per booking at a time, so that of two people submitting at once the
        # second always sees the first and the reveal is announced exactly once.
        Booking.objects.select_for_update(of=("self",)).filter(pk=booking.pk).first()
        if Review.objects.filter(booking=booking, author=actor, subject=subject).exists():
            raise Conflict("You have already reviewed this session.", code="already_reviewed")
        now = timezone.now()
        review = Review(
            booking=booking,
            author=actor,
            subject=subject,
            direction=direction,
            created_at=now,
            updated_at=now,
        )
        _fill(review, clean_scores, clean_comment, clean_tags)
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError as exc:
            raise Conflict(
                "You have already reviewed this session.", code="already_reviewed"
            ) from exc
        counterpart = (
            Review.objects.filter(booking=booking, author=subject, subject=actor)
            .select_related("author__profile", "subject", "booking__subject")
            .first()
        )
        if counterpart is not None:
            _announce_reveal([review, counterpart])
        # A review stored for the first time (edits publish nothing): reviews/hooks.py.
        hooks.publish(ReviewSubmitted(review_id=review.pk))
        _schedule_window_close(booking)
    return review


def review_edit(
    *,
    actor: User,
    review_id: int,
    scores: Mapping[str, Any],
    comment: str = "",
    tags: Sequence[str] | None = None,
) -> Review:
    """Change the actor's own review. Someone else's review is ``NotFound``; after 48 hours
    from the first submission, or once the review is revealed, ``Conflict`` (``edit_closed``).
    Replaces scores, comment and tags; ``created_at`` (and so the 48 hours) stays."""
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(of=("self",))
            .select_related("booking")
            .filter(pk=review_id, author=actor)
            .first()
        )
        if review is None:
            raise NotFound("No such review.")
        if not selectors.can_edit(review):
            raise Conflict(
                "This review can no longer be changed: reviews can be edited for 48 hours, "
                "until both sides have written theirs.",
                code="edit_closed",
            )
        known_tags = TUTOR_TAGS if review.direction == Review.Direction.OF_TUTOR else LEARNER_TAGS
        _fill(
            review,
            _clean_scores(scores, review.dimensions),
            _clean_comment(comment),
            _clean_tags(tags, known_tags),
        )
        review.updated_at = timezone.now()
        review.save()
    return review


# --- revealing ----------------------------------------------------------------------------------


def _announce_reveal(reviews: Sequence[Review]) -> int:
    """Tell each review's subject they can read it (once per review; hidden ones stay quiet).
    Call inside a transaction, once the reviews are revealed."""
    rating_totals_refresh(
        review.subject_id for review in reviews if review.direction == Review.Direction.OF_TUTOR
    )
    told = 0
    for review in reviews:
        if review.hidden_at is not None:
            continue
        claimed = Review.objects.filter(
            pk=review.pk, reveal_notified_at__isnull=True, hidden_at__isnull=True
        ).update(reveal_notified_at=timezone.now())
        if not claimed:
            continue
        author = review.author
        booking = review.booking
        if review.direction == Review.Direction.OF_TUTOR:
            # A tutor's rating changed without an award: Top Mentor may now be complete.
            hooks.publish(TutorReviewRevealed(tutor_id=review.subject_id))
        notify(
            user=review.subject,
            kind=Notification.Kind.REVIEW_REVEALED,
            title=f"{author.display_name}'s review of your session is now visible",
            body=(
                f"Your {booking.subject.name} session of {_day(booking.starts_at)}: "
                f"open it to read what {author.display_name} wrote."
            ),
            url=review_url(booking.pk),
        )
        told += 1
    return told


def reviews_notify_revealed(*, booking_id: int | None = None) -> int:
    """Tell subjects about reviews revealed by the window's close (or any not yet announced);
    returns how many were told. Idempotent; run by the task scheduled at each window's close
    and by ``manage.py reviews_reveal`` as a sweep."""
    qs = Review.objects.filter(reveal_notified_at__isnull=True, hidden_at__isnull=True)
    if booking_id is not None:
        qs = qs.filter(booking_id=booking_id)
    due = selectors.revealed(qs).select_related(
        "author__profile", "subject__profile", "booking__subject"
    )
    with transaction.atomic():
        return _announce_reveal(list(due))


# --- stored rating totals -----------------------------------------------------------------------


def rating_totals_refresh(tutor_ids: Iterable[int]) -> None:
    """Recompute these tutors' ``TutorRatingTotal`` rows from their visible learner → tutor
    reviews (the reveal rule, through ``selectors.tutor_reviews_visible``). Runs inside the
    caller's transaction; each tutor's row is locked first (in id order), so two reveals for
    one tutor committing at once are counted one after the other, never one over the other."""
    ids = sorted(set(tutor_ids))
    if not ids:
        return
    with transaction.atomic():
        TutorRatingTotal.objects.bulk_create(
            [TutorRatingTotal(tutor_id=i) for i in ids], ignore_conflicts=True
        )
        list(TutorRatingTotal.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        sums = {
            subject_id: (total, n)
            for subject_id, total, n in selectors.tutor_reviews_visible()
            .filter(subject_id__in=ids)
            .order_by()
            .values("subject_id")
            .annotate(total=Sum("overall"), n=Count("pk"))
            .values_list("subject_id", "total", "n")
        }
        now = timezone.now()
        TutorRatingTotal.objects.bulk_update(
            [
                TutorRatingTotal(
                    tutor_id=i,
                    total=sums.get(i, (0, 0))[0],
                    count=sums.get(i, (0, 0))[1],
                    updated_at=now,
                )
                for i in ids
            ],
            ["total", "count", "updated_at"],
        )
    # The platform mean moved: recompute it now, and again once this is committed (a reader
    # between the two would have cached the old sums).
    selectors.rating_prior_forget()
    transaction.on_commit(selectors.rating_prior_forget)


def rating_totals_rebuild(*, batch: int = 2000) -> int:
    """Refresh every tutor who has a learner → tutor review or a stored total (a sweep behind
    the per-reveal refresh; ``manage.py reviews_reveal`` runs it). Returns how many rows."""
    ids = set(
        Review.objects.filter(direction=Review.Direction.OF_TUTOR).values_list(
            "subject_id", flat=True
        )
    ) | set(TutorRatingTotal.objects.values_list("tutor_id", flat=True))
    ordered = sorted(ids)
    for start in range(0, len(ordered), batch):
        rating_totals_refresh(ordered[start : start + batch])
    return len(ordered)


# --- reports and moderation ---------------------------------------------------------------------


def review_report(*, actor: User, review_id: int, reason: str) -> ReviewReport:
    """Flag a review as abusive. Who: the subject or another participant of the session who can
    read it (revealed, not hidden); not its author. At most ``REPORT_LIMIT`` reports an hour per
    person (``RateLimited``); one report per person and review (``Conflict``)."""
    ratelimit.check(
        f"review-report:{actor.pk}",
        limit=REPORT_LIMIT,
        window_seconds=REPORT_WINDOW_SECONDS,
        message="You have sent many reports; try again in an hour.",
    )
    review = selectors.access_review(user=actor, review_id=review_id)
    if review.author_id == actor.pk:
        raise Forbidden("You cannot report your own review.", code="own_review")
    if not selectors.is_participant(actor, review.booking):
        raise Forbidden("Only the session's participants can report its reviews.")
    if review.is_hidden:
        raise Conflict("This review is already hidden.", code="already_hidden")
    text = " ".join((reason or "").split())
    if not text:
        raise Invalid("Say what is wrong with it.", code="required", field="reason")
    if len(text) > REPORT_REASON_MAX:
        raise Invalid(
            f"Keep the reason under {REPORT_REASON_MAX} characters.",
            code="reason_too_long",
            field="reason",
        )
    try:
        with transaction.atomic():
            return ReviewReport.objects.create(review=review, reporter=actor, reason=text)
    except IntegrityError as exc:
        raise Conflict("You have already reported this review.", code="already_reported") from exc


def review_hide(*, actor: User, review_id: int, reason: str) -> Review:
    """A moderator hides a review: it no longer shows anywhere (its author still sees it, marked
    hidden) and no aggregate counts it. Records who, when and why; resolves its open reports."""
    require_moderator(actor)
    text = " ".join((reason or "").split())
    if not text:
        raise Invalid("Give a reason.", code="required", field="reason")
    if len(text) > HIDE_REASON_MAX:
        raise Invalid(
            f"Keep the reason under {HIDE_REASON_MAX} characters.",
            code="reason_too_long",
            field="reason",
        )
    selectors.access_review(user=actor, review_id=review_id)
    with transaction.atomic():
        review = Review.objects.select_for_update(of=("self",)).get(pk=review_id)
        if review.hidden_at is not None:
            raise Conflict("This review is already hidden.", code="already_hidden")
        now = timezone.now()
        review.hidden_at = now
        review.hidden_by = actor
        review.hidden_reason = text
        review.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        review.reports.filter(resolved_at__isnull=True).update(
            resolved_at=now, resolved_by=actor, resolution=ReviewReport.Resolution.HIDDEN
        )
        if review.direction == Review.Direction.OF_TUTOR:
            rating_totals_refresh([review.subject_id])
        audit_record(actor=actor, action="reviews.hide", target=review, reason=text)
    return review


def review_unhide(*, actor: User, review_id: int, reason: str) -> Review:
    """A moderator shows a hidden review again; the tutor's rating counts it again. Audited."""
    require_moderator(actor)
    text = " ".join((reason or "").split())
    if not text:
        raise Invalid("Give a reason.", code="required", field="reason")
    selectors.access_review(user=actor, review_id=review_id)
    with transaction.atomic():
        review = Review.objects.select_for_update(of=("self",)).get(pk=review_id)
        if review.hidden_at is None:
            raise Conflict("This review is not hidden.", code="not_hidden")
        review.hidden_at = None
        review.hidden_by = None
        review.hidden_reason = ""
        review.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        if review.direction == Review.Direction.OF_TUTOR:
            rating_totals_refresh([review.subject_id])
        audit_record(actor=actor, action="reviews.unhide", target=review, reason=text)
    return review


def review_reports_dismiss(*, actor: User, review_id: int) -> int:
    """A moderator keeps a reported review: its open reports are resolved as dismissed."""
    require_moderator(actor)
    review = selectors.access_review(user=actor, review_id=review_id)
    with transaction.atomic():
        count = ReviewReport.objects.filter(review_id=review_id, resolved_at__isnull=True).update(
            resolved_at=timezone.now(),
            resolved_by=actor,
            resolution=ReviewReport.Resolution.DISMISSED,
        )
        audit_record(actor=actor, action="reviews.reports_dismiss", target=review)
    return count
