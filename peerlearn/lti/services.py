"""LTI writes: accepting a validated launch (account linking, course, roster), curating a course,
deep-link placements, roster sync (NRPS) and score passback (AGS).

Launches reach ``launch_accept`` only after ``tool.validated_launch`` has checked them; every
function here still refuses what PeerLearn cannot serve (no institution for the platform, no
course context) with a ``LaunchRefused`` that the view shows as a page.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import FloatField, Max
from django.db.models.functions import Cast
from django.utils import timezone
from lti_tool.models import LtiContext, LtiLaunch, LtiMembership, LtiUser
from lti_tool.utils import sync_data_from_launch
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.grade import Grade

from peerlearn.accounts import services as accounts_services
from peerlearn.accounts.models import Subject, User
from peerlearn.common.errors import Forbidden, Invalid
from peerlearn.forum import services as forum_services
from peerlearn.practice.models import PracticeTopic, Problem, Submission

from . import selectors, tool
from .models import Course, GradedLink, Placement, PlatformLink, ScoreReport

logger = logging.getLogger(__name__)

CLAIM_CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
PLACEMENT_PARAM = "peerlearn_placement"
AGS_SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCORE_MAXIMUM = 100.0


class LaunchRefused(Forbidden):
    """A launch this site will not accept; the view shows it as a page."""


@dataclass
class LaunchResult:
    user: User | None
    course: Course
    placement: Placement | None
    can_curate: bool
    link_pending: int | None = None  # an LtiUser whose account's owner must confirm the link


def _display_name(launch: LtiLaunch) -> str:
    name = launch.get_claim("name") or " ".join(
        part for part in (launch.get_claim("given_name"), launch.get_claim("family_name")) if part
    )
    return str(name or "")[:80]


def _link_user(launch: LtiLaunch, lti_user: LtiUser, platform: PlatformLink) -> User | None:
    """The PeerLearn account of the launch's person: the one already linked; else the account
    with the launch's email when the platform is trusted to verify emails; else a new account.
    None when the email belongs to an account but the platform is not trusted: only that
    account's owner, signed in, may link it (``identity_link``); linking it here would hand the
    account to whoever controls the platform's claim."""
    if lti_user.auth_user_id is not None:
        return lti_user.auth_user
    email = str(launch.get_claim("email") or "").strip().lower()
    existing = User.objects.filter(email__iexact=email).first() if email else None
    if existing is not None:
        if not platform.trust_email:
            return None
        user = existing
    else:
        if not email:
            email = f"lti-{secrets.token_hex(8)}@users.invalid"
        user = accounts_services.user_create_linked(
            email=email,
            display_name=_display_name(launch) or "Course member",
            email_verified=platform.trust_email and not email.endswith("@users.invalid"),
            institution_id=platform.institution_id,
        )
    lti_user.auth_user = user
    lti_user.save(update_fields=["auth_user", "datetime_modified"])
    return user


def _course_for(context: LtiContext, platform: PlatformLink) -> Course:
    title = (context.title or context.label or "Course")[:200]
    course = Course.objects.filter(context=context).first()
    if course is None:
        category = forum_services.course_category_ensure(
            slug=f"course-{context.pk}",
            name=title,
            institution_id=platform.institution_id,
            description=f"Discussion for the members of {title}.",
        )
        course = Course.objects.create(
            context=context, title=title, institution_id=platform.institution_id, category=category
        )
    elif course.title != title:
        course.title = title
        course.save(update_fields=["title"])
        forum_services.course_category_ensure(
            slug=course.category.slug, name=title, institution_id=course.institution_id
        )
    return course


def _placement_of(launch: LtiLaunch, course: Course) -> Placement | None:
    custom = launch.get_claim(CLAIM_CUSTOM) or {}
    token = custom.get(PLACEMENT_PARAM) if isinstance(custom, dict) else None
    if not token:
        return None
    placement = selectors.placement_by_token(str(token))
    if placement is None or placement.course_id != course.pk:
        raise LaunchRefused(
            "This link was made for another course. Ask your instructor to place it again.",
            code="foreign_placement",
        )
    return placement


def _link_grades(launch: LtiLaunch, placement: Placement, user: User, lti_user: LtiUser) -> None:
    ags = launch.ags_claim or {}
    lineitem = ags.get("lineitem") if isinstance(ags, dict) else None
    if not placement.graded or not lineitem or AGS_SCORE_SCOPE not in ags.get("scope", []):
        return
    GradedLink.objects.get_or_create(
        lineitem_url=lineitem,
        user=user,
        defaults={"placement": placement, "lti_user": lti_user},
    )


@transaction.atomic
def launch_accept(*, launch: LtiLaunch) -> LaunchResult:
    """Record a validated launch and decide who it is.

    Effects: django-lti's records (user, context, membership, resource link) are synced; the
    person is linked to a PeerLearn account (``_link_user``; or the result says which link its
    owner must confirm, and nobody is signed in) that joins the platform's
    institution if it has none; the context gets its ``Course`` and discussion category and the
    person is an active member, on that category's roster; a graded problem placement
    remembers the learner's line item. Refuses launches from a platform with no institution
    and launches without a course context."""
    registration = launch.registration
    platform = PlatformLink.objects.filter(registration=registration).first()
    if platform is None:
        raise LaunchRefused(
            "This learning platform is registered, but not yet linked to an institution in "
            "PeerLearn. An administrator must finish its registration.",
            code="no_institution",
        )
    context_claim = launch.context_claim
    if not isinstance(context_claim, dict) or not context_claim.get("id"):
        raise LaunchRefused(
            "This launch does not say which course it comes from (no context claim). Launch "
            "PeerLearn from inside a course.",
            code="no_context",
        )
    sync_data_from_launch(launch)
    # One link per LTI user even when two first launches race: the second waits here, then
    # finds the account the first one linked.
    lti_user = LtiUser.objects.select_for_update().get(pk=launch.user.pk)
    user = _link_user(launch, lti_user, platform)
    if user is None:
        course = _course_for(launch.context, platform)
        return LaunchResult(
            user=None, course=course, placement=None, can_curate=False, link_pending=lti_user.pk
        )
    if not user.is_active:
        raise LaunchRefused("This PeerLearn account is disabled.", code="inactive")
    accounts_services.institution_join(user=user, institution_id=platform.institution_id)
    course = _course_for(launch.context, platform)
    membership = launch.membership
    if not membership.is_active:  # a signed launch from the course: a member now
        membership.is_active = True
        membership.save(update_fields=["is_active", "datetime_modified"])
    forum_services.category_member_add(category_id=course.category_id, user_id=user.pk)
    placement = None
    if launch.is_resource_launch:
        placement = _placement_of(launch, course)
        if placement is not None:
            _link_grades(launch, placement, user, lti_user)
    if course.context.memberships_url and selectors.roster_sync_due(course):
        from .tasks import sync_roster

        transaction.on_commit(lambda: sync_roster.enqueue(course.pk))
    return LaunchResult(
        user=user,
        course=course,
        placement=placement,
        can_curate=selectors.is_curator_membership(membership),
    )


@transaction.atomic
def identity_link(*, actor: User, lti_user_id: int, course_id: int) -> Course:
    """The owner of an account, signed in, links it to the LMS identity whose launch carried
    its email address (from an untrusted platform). Only for that address, only while the
    identity is unlinked. The account joins the course's discussion while a member."""
    lti_user = LtiUser.objects.select_for_update().filter(pk=lti_user_id).first()
    if (
        lti_user is None
        or lti_user.auth_user_id not in (None, actor.pk)
        or lti_user.email.strip().lower() != actor.email.lower()
    ):
        raise LaunchRefused(
            "This link is not for this account, or no longer valid. Open PeerLearn from your "
            "course again.",
            code="link",
        )
    membership = LtiMembership.objects.filter(user=lti_user, context__peerlearn_course=course_id)
    course = Course.objects.get(pk=course_id)
    lti_user.auth_user = actor
    lti_user.save(update_fields=["auth_user", "datetime_modified"])
    if membership.filter(is_active=True).exists():
        forum_services.category_member_add(category_id=course.category_id, user_id=actor.pk)
    return course


# --- curating -------------------------------------------------------------------------------


def course_curate(
    *, actor: User, course: Course, intro: str, subject_ids: list[int], topic_ids: list[int]
) -> Course:
    """An instructor (or a moderator) sets what the course page shows."""
    if not selectors.can_curate(actor, course):
        raise LaunchRefused("Only the course's instructors can change this page.", code="curate")
    subjects = list(Subject.objects.filter(pk__in=subject_ids))
    topics = list(PracticeTopic.objects.filter(pk__in=topic_ids))
    if len(subjects) != len(set(subject_ids)) or len(topics) != len(set(topic_ids)):
        raise Invalid("Choose subjects and topics from the lists.", code="choice")
    with transaction.atomic():
        course.intro = intro.strip()[:2000]
        course.save(update_fields=["intro"])
        course.subjects.set(subjects)
        course.topics.set(topics)
    return course


# --- deep linking ---------------------------------------------------------------------------


def placement_create(
    *, actor: User, course: Course, kind: str, target: str = "", graded: bool = False
) -> Placement:
    """Something an instructor places in the LMS. ``target`` is a problem's or topic's slug.
    Only problems are graded."""
    if not selectors.can_curate(actor, course):
        raise LaunchRefused("Only the course's instructors can place links.", code="curate")
    problem = topic = None
    if kind == Placement.Kind.COURSE:
        title = f"{course.title}: tutoring and practice"
    elif kind == Placement.Kind.CATEGORY:
        title = f"{course.title}: discussion"
    elif kind == Placement.Kind.PROBLEM:
        problem = Problem.objects.filter(slug=target, is_published=True).first()
        if problem is None:
            raise Invalid("Choose a problem from the list.", code="target", field="problem")
        title = problem.title
    elif kind == Placement.Kind.TOPIC:
        topic = PracticeTopic.objects.filter(slug=target).first()
        if topic is None:
            raise Invalid("Choose a topic from the list.", code="target", field="topic")
        title = f"Problem set: {topic.name}"
    else:
        raise Invalid("Choose what to place.", code="kind", field="kind")
    return Placement.objects.create(
        course=course,
        kind=kind,
        problem=problem,
        topic=topic,
        title=title[:200],
        graded=graded and kind == Placement.Kind.PROBLEM,
        created_by=actor,
    )


# --- roster (Names and Role Provisioning) ----------------------------------------------------


def roster_sync(*, course_id: int) -> tuple[int, int]:
    """Fetch the course's roster from the platform (NRPS, every page) and make PeerLearn match
    it: memberships are created or updated, members missing from the roster or not Active are
    deactivated, and the discussion category's roster becomes exactly the active members who
    have a PeerLearn account. Idempotent. Returns (added, removed) on the category roster."""
    course = Course.objects.select_related("context__deployment__registration").get(pk=course_id)
    context = course.context
    members = tool.members_of(context)  # HTTP: outside any transaction
    with transaction.atomic():
        context.update_memberships(members)
        present = {str(member["user_id"]) for member in members}
        LtiMembership.objects.filter(context=context).exclude(user__sub__in=present).update(
            is_active=False
        )
        active_users = LtiMembership.objects.filter(
            context=context, is_active=True, user__auth_user__isnull=False
        ).values_list("user__auth_user_id", flat=True)
        added, removed = forum_services.category_roster_set(
            category_id=course.category_id, user_ids=set(active_users)
        )
        course.roster_synced_at = timezone.now()
        course.save(update_fields=["roster_synced_at"])
    return added, removed


# --- grades (Assignment and Grade Services) --------------------------------------------------


def best_score(*, user_id: int, problem_id: int) -> float:
    """The learner's best judged Submit of the problem, as a percentage of tests passed."""
    best = Submission.objects.filter(
        user_id=user_id,
        problem_id=problem_id,
        mode=Submission.Mode.SUBMIT,
        status=Submission.Status.DONE,
        total__gt=0,
    ).aggregate(best=Max(Cast("passed", FloatField()) / Cast("total", FloatField())))["best"]
    return round(float(best or 0.0) * SCORE_MAXIMUM, 2)


def scores_queue(*, submission_id: int) -> list[int]:
    """A Submit was judged: for each graded line item of that learner and problem whose best
    score went up, record one ``ScoreReport`` (at most one per line item and submission) and
    send it after commit. Returns the reports' ids."""
    submission = Submission.objects.filter(
        pk=submission_id, mode=Submission.Mode.SUBMIT, status=Submission.Status.DONE
    ).first()
    if submission is None:
        return []
    links = GradedLink.objects.filter(
        user_id=submission.user_id, placement__problem_id=submission.problem_id
    )
    score = best_score(user_id=submission.user_id, problem_id=submission.problem_id)
    created: list[int] = []
    for link in links:
        last = (
            link.reports.exclude(status=ScoreReport.Status.FAILED)
            .order_by("-score_given")
            .values_list("score_given", flat=True)
            .first()
        )
        if last is not None and score <= last:
            continue
        try:
            with transaction.atomic():
                report = ScoreReport.objects.create(
                    link=link,
                    submission=submission,
                    score_given=score,
                    score_maximum=SCORE_MAXIMUM,
                )
        except IntegrityError:
            continue  # this submission was queued for this line item already
        created.append(report.pk)
    if created:
        from .tasks import send_score

        for report_id in created:
            transaction.on_commit(lambda rid=report_id: send_score.enqueue(rid))  # type: ignore[misc]
    return created


def _grade(report: ScoreReport) -> Grade:
    return (
        Grade()
        .set_score_given(report.score_given)
        .set_score_maximum(report.score_maximum)
        .set_timestamp(report.created_at.isoformat())
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_user_id(report.link.lti_user.sub)
    )


def score_send(*, report_id: int) -> str:
    """Send one score to the platform's gradebook, once. The report's row stays locked while it
    is sent, so two workers never send it both; a sent report is never sent again. A failure is
    retried later with backoff (``LTI_SCORE_ATTEMPTS`` in all), then marked failed. Returns the
    report's status."""
    with transaction.atomic():
        report = (
            ScoreReport.objects.select_for_update(of=("self",))
            .select_related("link__lti_user__registration")
            .filter(pk=report_id)
            .first()
        )
        if report is None or report.status != ScoreReport.Status.PENDING:
            return report.status if report is not None else "missing"
        link = report.link
        ags = AssignmentsGradesService(
            tool.service_connector(link.lti_user.registration),
            {"scope": [AGS_SCORE_SCOPE], "lineitem": link.lineitem_url},  # type: ignore[list-item]
        )
        report.attempts += 1
        try:
            ags.put_grade(_grade(report))
        except Exception as exc:  # the platform's failure is data here, not a crash
            report.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if report.attempts >= settings.LTI_SCORE_ATTEMPTS:
                report.status = ScoreReport.Status.FAILED
                logger.warning("score %s not sent after %s attempts", report.pk, report.attempts)
            else:
                _retry_later(report)
        else:
            report.status = ScoreReport.Status.SENT
            report.sent_at = timezone.now()
            report.last_error = ""
        report.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return report.status


def _retry_later(report: ScoreReport) -> None:
    from .tasks import send_score

    delay = timedelta(seconds=30 * 2 ** (report.attempts - 1))  # 30 s, 1 min, 2 min, ...
    run_after = timezone.now() + delay
    transaction.on_commit(lambda: send_score.using(run_after=run_after).enqueue(report.pk))
