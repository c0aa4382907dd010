"""LTI reads. A course page exists only for its active members (through their linked
identity) and moderators; for anyone else it looks like nothing (``NotFound``)."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from lti_tool.models import LtiMembership

from peerlearn.accounts.models import TeachingSubject, User
from peerlearn.common.errors import NotFound
from peerlearn.practice.models import PracticeTopic, Problem
from peerlearn.scheduling.models import Booking
from peerlearn.scheduling.selectors import open_group_sessions

from .models import Course, Placement

ROSTER_SYNC_EVERY = timedelta(hours=1)
CURATOR = Q(is_instructor=True) | Q(is_administrator=True) | Q(is_content_developer=True)


def _memberships(user: User, course: Course) -> QuerySet[LtiMembership]:
    return LtiMembership.objects.filter(
        context_id=course.context_id, user__auth_user=user, is_active=True
    )


def is_curator_membership(membership: LtiMembership) -> bool:
    return bool(
        membership.is_active
        and (
            membership.is_instructor
            or membership.is_administrator
            or membership.is_content_developer
        )
    )


def can_curate(user: User, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_moderator:
        return True
    return _memberships(user, course).filter(CURATOR).exists()


def access_course(user: User, course_id: int) -> Course:
    course = Course.objects.select_related("category", "institution").filter(pk=course_id).first()
    if course is None or not user.is_authenticated:
        raise NotFound("No such course.")
    if not user.is_moderator and not _memberships(user, course).exists():
        raise NotFound("No such course.")
    return course


def courses_of(user: User) -> QuerySet[Course]:
    """The courses someone is an active member of (their linked identities' memberships)."""
    context_ids = LtiMembership.objects.filter(user__auth_user=user, is_active=True).values(
        "context_id"
    )
    return Course.objects.filter(context_id__in=context_ids).order_by("title")


def placement_by_token(token: str) -> Placement | None:
    try:
        return Placement.objects.select_related("problem", "topic").filter(token=token).first()
    except Exception:  # not a UUID: no such placement
        return None


def roster_sync_due(course: Course) -> bool:
    synced = course.roster_synced_at
    return synced is None or synced < timezone.now() - ROSTER_SYNC_EVERY


def course_tutors(course: Course, limit: int = 12) -> list[TeachingSubject]:
    """Tutors teaching the course's subjects (or their topics), verified first."""
    subject_ids = list(course.subjects.values_list("pk", flat=True))
    if not subject_ids:
        return []
    rows = (
        TeachingSubject.objects.filter(
            Q(subject_id__in=subject_ids) | Q(subject__parent_id__in=subject_ids),
            user__is_active=True,
        )
        .select_related("user__profile", "subject")
        .order_by("verified_at", "user_id")
    )
    seen: set[int] = set()
    tutors: list[TeachingSubject] = []
    for row in sorted(rows, key=lambda r: (r.verified_at is None, r.user_id)):
        if row.user_id in seen:
            continue
        seen.add(row.user_id)
        tutors.append(row)
        if len(tutors) == limit:
            break
    return tutors


def course_topics(course: Course) -> QuerySet[PracticeTopic]:
    return course.topics.annotate(
        problem_count=Count("problems", filter=Q(problems__is_published=True))
    ).order_by("name")


def course_sessions(course: Course, limit: int = 8) -> list[Booking]:
    """Upcoming open group sessions in the course's subjects."""
    subject_ids = list(course.subjects.values_list("pk", flat=True))
    if not subject_ids:
        return []
    return list(
        open_group_sessions()
        .filter(Q(subject_id__in=subject_ids) | Q(subject__parent_id__in=subject_ids))
        .filter(starts_at__gt=timezone.now())
        .select_related("tutor__profile", "subject")[:limit]
    )


def course_placements(course: Course) -> QuerySet[Placement]:
    return course.placements.select_related("problem", "topic").order_by("-created_at")


def placeable_problems() -> QuerySet[Problem]:
    return Problem.objects.filter(is_published=True).order_by("title")


def placeable_topics() -> QuerySet[PracticeTopic]:
    return PracticeTopic.objects.order_by("name")
