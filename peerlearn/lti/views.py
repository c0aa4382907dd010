"""LTI adapters: the OIDC login, the launch, deep linking's picker and the course page.

The login and the launch are POSTed (or redirected) from another site, so they are CSRF-exempt:
the launch is a JWT signed by the platform, checked by ``tool.validated_launch``. Whatever is
refused is shown as a page that says why, with status 400/403 (never a 500).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from lti_tool.models import LtiLaunch
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem

from peerlearn.accounts.requests import AuthedRequest, current_user
from peerlearn.common import ratelimit
from peerlearn.common.errors import NotFound, ServiceError
from peerlearn.common.web import form_error

from . import selectors, services, tool
from .forms import CurateForm, PlacementForm
from .models import Course, Placement

logger = logging.getLogger(__name__)

SESSION_DEEP_LINK = "lti_deep_link"
LINK_SALT = "peerlearn.lti.link"
LINK_MAX_AGE = 3600


def _refused(
    request: HttpRequest, message: str, *, status: int = 403, detail: str = ""
) -> HttpResponse:
    return render(request, "lti/error.html", {"message": message, "detail": detail}, status=status)


def _limit(request: HttpRequest) -> None:
    ratelimit.check(
        f"lti:{request.META.get('REMOTE_ADDR', '')}",
        limit=settings.LTI_LAUNCHES_PER_MINUTE,
        window_seconds=60,
        message="Too many launches from this address; wait a minute and try again.",
    )


@csrf_exempt
def oidc_login(request: HttpRequest, registration_uuid: Any = None) -> HttpResponse:
    """Third-party initiated login (the platform's first step): answer with a redirect to the
    platform's authorization endpoint carrying a fresh state (also set as a cookie) and nonce.
    The launch always comes back to our launch URL, whatever ``target_link_uri`` says."""
    try:
        _limit(request)
    except ratelimit.RateLimited as exc:
        return _refused(request, exc.message, status=429)
    params = request.POST if request.method == "POST" else request.GET
    if not params.get("target_link_uri"):
        return _refused(request, "The platform sent no target_link_uri.", status=400)
    uuid = str(registration_uuid) if registration_uuid is not None else None
    try:
        login_request = tool.oidc_login(request, uuid)
        return login_request.redirect(request.build_absolute_uri(reverse("lti:launch")))
    except (LtiException, OIDCException) as exc:
        return _refused(
            request,
            "This learning platform is not registered with PeerLearn (or not active).",
            status=400,
            detail=str(exc),
        )


@csrf_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    try:
        _limit(request)
    except ratelimit.RateLimited as exc:
        return _refused(request, exc.message, status=429)
    try:
        lti_launch = tool.validated_launch(request)
    except (LtiException, OIDCException, KeyError, TypeError, ValueError) as exc:
        logger.info("LTI launch refused: %s", exc)
        return _refused(
            request,
            "This launch could not be verified, so PeerLearn did not sign you in. Go back to "
            "your course and open PeerLearn again.",
            status=400,
            detail=str(exc),
        )
    try:
        result = services.launch_accept(launch=lti_launch)
    except ServiceError as exc:
        return _refused(request, exc.message, status=exc.status)
    except IntegrityError:  # a first launch of the same person raced this one
        return _refused(
            request,
            "PeerLearn was opened twice at once. Open it again from your course.",
            status=409,
        )
    if result.user is None:
        token = signing.dumps(
            {"lti_user": result.link_pending, "course": result.course.pk}, salt=LINK_SALT
        )
        return render(
            request,
            "lti/error.html",
            {
                "message": "A PeerLearn account already uses your email address. If it is "
                "yours, sign in to PeerLearn and link it to this course.",
                "sign_in": reverse("lti:link", args=[token]),
                "sign_in_label": "Sign in and link my account",
            },
            status=403,
        )
    if request.user.pk != result.user.pk:
        if Authenticator.objects.filter(user=result.user).exists():
            # The platform vouches for who this is, not for their second factor.
            return render(
                request,
                "lti/error.html",
                {
                    "message": "Your PeerLearn account uses two-factor sign-in. Sign in to "
                    "PeerLearn, then open the course again.",
                    "sign_in": reverse("account_login")
                    + "?next="
                    + reverse("lti:course", args=[result.course.pk]),
                },
                status=403,
            )
        login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
    if lti_launch.is_deep_link_launch:
        if not result.can_curate:
            return _refused(request, "Only the course's instructors can place PeerLearn links.")
        request.session[SESSION_DEEP_LINK] = {
            "launch_id": lti_launch.get_launch_id(),
            "course_id": result.course.pk,
        }
        return redirect("lti:deep_link")
    if not lti_launch.is_resource_launch:
        return _refused(request, "PeerLearn does not support this kind of launch.", status=400)
    return HttpResponseRedirect(_placement_url(result.course, result.placement))


def _placement_url(course: Course, placement: Placement | None) -> str:
    if placement is None or placement.kind == Placement.Kind.COURSE:
        return reverse("lti:course", args=[course.pk])
    if placement.kind == Placement.Kind.CATEGORY:
        return reverse("forum:category", args=[course.category.slug])
    if placement.kind == Placement.Kind.PROBLEM and placement.problem is not None:
        return reverse("practice:problem", args=[placement.problem.slug])
    if placement.topic is not None:
        return reverse("practice:problems") + f"?topic={placement.topic.slug}"
    return reverse("lti:course", args=[course.pk])


def _deep_link_state(request: HttpRequest) -> tuple[LtiLaunch, Course] | None:
    state = request.session.get(SESSION_DEEP_LINK)
    if not isinstance(state, dict) or not request.user.is_authenticated:
        return None
    user = request.user
    try:
        lti_launch = tool.cached_launch(request, str(state.get("launch_id")))
        course = selectors.access_course(user, int(state.get("course_id", 0)))
    except (LtiException, NotFound, TypeError, ValueError):
        return None
    if not lti_launch.is_deep_link_launch or lti_launch.user.auth_user_id != user.pk:
        return None
    if not selectors.can_curate(user, course):
        return None
    return lti_launch, course


def _resource(request: HttpRequest, placement: Placement) -> DeepLinkResource:
    resource = (
        DeepLinkResource()
        .set_url(request.build_absolute_uri(reverse("lti:launch")))
        .set_title(placement.title)
        .set_custom_params({services.PLACEMENT_PARAM: str(placement.token)})
    )
    if placement.graded:
        resource.set_lineitem(
            LineItem()
            .set_score_maximum(services.SCORE_MAXIMUM)
            .set_label(placement.title)
            .set_resource_id(f"peerlearn-placement-{placement.token}")
            .set_tag("peerlearn")
        )
    return resource


def deep_link(request: HttpRequest) -> HttpResponse:
    """Deep linking's picker: an instructor chooses what to place, and the browser carries the
    signed answer back to the platform."""
    found = _deep_link_state(request)
    user = current_user(request)
    if found is None or user is None:  # _deep_link_state refuses visitors too
        return _refused(
            request,
            "This page opens from your course's \u201cadd PeerLearn content\u201d button. Start "
            "there again.",
            status=400,
        )
    lti_launch, course = found
    form = PlacementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            placement = services.placement_create(
                actor=user,
                course=course,
                kind=form.cleaned_data["kind"],
                target=form.target(),
                graded=form.cleaned_data["graded"],
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            message_launch = lti_launch.get_message_launch()
            deep_link_api = message_launch.get_deep_link()
            token = deep_link_api.get_response_jwt([_resource(request, placement)])
            return_url = message_launch.get_launch_data()[
                "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
            ]["deep_link_return_url"]
            del request.session[SESSION_DEEP_LINK]
            response = render(
                request,
                "lti/deep_link_return.html",
                {"return_url": return_url, "jwt": token, "placement": placement},
            )
            origin = "{0.scheme}://{0.netloc}".format(urlsplit(return_url))
            response._csp_config = {  # type: ignore[attr-defined]
                **settings.SECURE_CSP,
                "form-action": [CSP.SELF, origin],
            }
            return response
    return render(
        request,
        "lti/deep_link.html",
        {
            "form": form,
            "course": course,
            "problems": selectors.placeable_problems(),
            "topics": selectors.placeable_topics(),
        },
    )


@login_required
def my_courses(request: AuthedRequest) -> HttpResponse:
    return render(request, "lti/courses.html", {"courses": selectors.courses_of(request.user)})


def _course_or_404(request: AuthedRequest, course_id: int) -> Course | HttpResponse:
    try:
        return selectors.access_course(request.user, course_id)
    except NotFound:
        return render(request, "lti/error.html", {"message": "No such course."}, status=404)


@login_required
def course(request: AuthedRequest, course_id: int) -> HttpResponse:
    found = _course_or_404(request, course_id)
    if not isinstance(found, Course):
        return found
    can_curate = selectors.can_curate(request.user, found)
    context = {
        "course": found,
        "can_curate": can_curate,
        "tutors": selectors.course_tutors(found),
        "topics": selectors.course_topics(found),
        "sessions": selectors.course_sessions(found),
        "placements": selectors.course_placements(found) if can_curate else [],
        "form": (
            CurateForm(
                initial={
                    "intro": found.intro,
                    "subjects": found.subjects.all(),
                    "topics": found.topics.all(),
                }
            )
            if can_curate
            else None
        ),
    }
    return render(request, "lti/course.html", context)


@login_required
@require_POST
def course_curate(request: AuthedRequest, course_id: int) -> HttpResponse:
    found = _course_or_404(request, course_id)
    if not isinstance(found, Course):
        return found
    form = CurateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Check the course page's settings.")
        return redirect("lti:course", course_id=found.pk)
    try:
        services.course_curate(
            actor=request.user,
            course=found,
            intro=form.cleaned_data["intro"],
            subject_ids=[s.pk for s in form.cleaned_data["subjects"]],
            topic_ids=[t.pk for t in form.cleaned_data["topics"]],
        )
    except ServiceError as exc:
        return _refused(request, exc.message, status=exc.status)
    messages.success(request, "The course page was updated.")
    return redirect("lti:course", course_id=found.pk)


@login_required
@require_POST
def roster_sync(request: AuthedRequest, course_id: int) -> HttpResponse:
    found = _course_or_404(request, course_id)
    if not isinstance(found, Course):
        return found
    if not selectors.can_curate(request.user, found):
        return _refused(request, "Only the course's instructors can sync its roster.")
    if not found.context.memberships_url:
        messages.error(request, "The platform does not share this course's roster.")
        return redirect("lti:course", course_id=found.pk)
    from .tasks import sync_roster

    sync_roster.enqueue(found.pk)
    messages.success(request, "The roster is being synced with the platform.")
    return redirect("lti:course", course_id=found.pk)


@login_required
def identity_link(request: AuthedRequest, token: str) -> HttpResponse:
    """Link the signed-in account to the LMS identity of a launch that carried its email (from
    a platform not trusted for emails): shown first, linked on POST."""
    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
        lti_user_id, course_id = int(data["lti_user"]), int(data["course"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return _refused(request, "This link has expired. Open PeerLearn from your course again.")
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return _refused(request, "This course no longer exists in PeerLearn.", status=404)
    if request.method == "POST":
        try:
            services.identity_link(actor=request.user, lti_user_id=lti_user_id, course_id=course_id)
        except ServiceError as exc:
            return _refused(request, exc.message, status=exc.status)
        messages.success(request, "Your account is linked to your course.")
        return redirect("lti:course", course_id=course_id)
    return render(request, "lti/link.html", {"course": course})
