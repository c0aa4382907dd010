"""Practice pages: the problem bank, a problem's workspace (editor, Run, Submit, results),
practice sessions (lobby, create, join, the shared workspace, the summary) and progress.

Thin adapters: parse, call a selector or service, render. Code goes to the server only for the
submitter's own drafts and submissions; the partner's page never receives it."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_POST

from peerlearn.accounts.models import User
from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import Invalid, ServiceError
from peerlearn.common.web import form_error, is_htmx, paginate
from peerlearn.live import selectors as live_selectors

from . import selectors, services
from .forms import JoinForm, SessionCreateForm
from .models import Difficulty, Language, PracticeSession, Problem

# Monaco (static/js/practice/editor.js) adds <style> elements, which editor.js gives the page's
# nonce (<meta property="csp-nonce">), writes code lines as HTML with style="" attributes, and
# inlines its icon font as a data: URL. csp_override replaces the whole policy, so it starts from
# the site's; only the pages with an editor get this one.
EDITOR_CSP: dict[str, Any] = {
    **settings.SECURE_CSP,
    "style-src-elem": [CSP.SELF, CSP.NONCE],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "font-src": [CSP.SELF, "data:"],
}
editor_csp = csp_override(EDITOR_CSP)

STATUS_CHOICES = [
    ("solved", "Solved"),
    ("attempted", "Tried, not solved"),
    ("unsolved", "Not solved"),
]
LANGUAGES = [{"id": value, "label": label} for value, label in Language.choices]


def _json_error(exc: ServiceError) -> JsonResponse:
    body = {"error": {"code": exc.code, "message": exc.message, "fields": {}}}
    if exc.field:
        body["error"]["fields"] = {exc.field: [exc.message]}
    return JsonResponse(body, status=exc.status)


def _problem_or_404(user: Any, slug: str) -> Problem:
    return selectors.access_problem(user=user, slug=slug)


# --- the problem bank -----------------------------------------------------------------------


@require_GET
def problems(request: HttpRequest) -> HttpResponse:
    user = request.user if request.user.is_authenticated else None
    filters = {
        "difficulty": request.GET.get("difficulty", ""),
        "topic": request.GET.get("topic", ""),
        "status": request.GET.get("status", "") if user else "",
        "search": request.GET.get("q", "").strip(),
    }
    page = paginate(request, selectors.problems(user=user, **filters), per_page=25)
    query = "&".join(
        f"{key if key != 'search' else 'q'}={value}" for key, value in filters.items() if value
    )
    context = {
        "page": page,
        "filters": filters,
        "extra_query": query,
        "difficulties": Difficulty.choices,
        "status_choices": STATUS_CHOICES,
        "topics": selectors.topics(),
        "progress": selectors.progress(user=user) if user else None,
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "problem-results":
        return render(request, "practice/_problem_table.html", context)
    return render(request, "practice/problems.html", context)


def _workspace_context(
    request: AuthedRequest, problem: Problem, session: PracticeSession | None = None
) -> dict[str, Any]:
    user = request.user
    solved = selectors.is_solved(user=user, problem=problem)
    return {
        "problem": problem,
        "session": session,
        "languages": LANGUAGES,
        "drafts": selectors.drafts(user=user, problem=problem),
        "history": selectors.submissions(user=user, problem=problem, limit=10),
        "solved": solved,
        "config": {
            "problem": problem.slug,
            "kind": problem.kind,
            "session": str(session.uid) if session else "",
            "draftUrl": reverse("practice:draft", args=[problem.slug]),
            "submitUrl": reverse("practice:submit", args=[problem.slug]),
            "resultUrl": reverse("practice:submission", args=[0]),
            "statusUrl": "/api/v1/practice/submissions/0",
            "me": user.pk,
        },
    }


@login_required
@require_GET
@editor_csp
def problem_detail(request: AuthedRequest, slug: str) -> HttpResponse:
    problem = _problem_or_404(request.user, slug)
    return render(request, "practice/workspace.html", _workspace_context(request, problem))


@login_required
@require_POST
def draft_save(request: AuthedRequest, slug: str) -> JsonResponse:
    problem = _problem_or_404(request.user, slug)
    try:
        body = json.loads(request.body or b"{}")
        draft = services.draft_save(
            actor=request.user,
            problem=problem,
            language=str(body.get("language", "")),
            code=str(body.get("code", "")),
        )
    except ValueError:
        return _json_error(Invalid("Send JSON.", code="invalid"))
    except ServiceError as exc:
        return _json_error(exc)
    return JsonResponse({"saved_at": draft.updated_at.isoformat()})


@login_required
@require_POST
def submit(request: AuthedRequest, slug: str) -> JsonResponse:
    """Run or Submit. Answers at once with the submission's id; judging happens in the worker
    and its progress arrives over /ws/practice/ (or by polling the status URL)."""
    problem = _problem_or_404(request.user, slug)
    user: User = request.user
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        return _json_error(Invalid("Send JSON.", code="invalid"))
    try:
        session = None
        if body.get("session"):
            session = selectors.access_session(user=user, uid=str(body["session"]))
        custom = body.get("input")
        submission = services.submission_create(
            actor=user,
            problem=problem,
            language=str(body.get("language", "")),
            code=str(body.get("code", "")),
            mode=str(body.get("mode", "")),
            custom_input=str(custom) if custom is not None else None,
            session=session,
        )
    except ServiceError as exc:
        return _json_error(exc)
    submission.refresh_from_db()
    return JsonResponse(
        {"id": submission.pk, "status": submission.status, "verdict": submission.verdict},
        status=202,
    )


@login_required
@require_GET
def submission_result(request: AuthedRequest, submission_id: int) -> HttpResponse:
    """The submitter's own results, as the panel under the editor (HTMX)."""
    submission = selectors.access_submission(user=request.user, submission_id=submission_id)
    return render(request, "practice/_result.html", {"submission": submission})


# --- practice sessions ----------------------------------------------------------------------


@login_required
def sessions(request: AuthedRequest) -> HttpResponse:
    """The lobby (public sessions with a free seat), "start a session", and my sessions."""
    user: User = request.user
    form = SessionCreateForm(
        request.POST or None, initial={"problem": request.GET.get("problem", "")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_start(
                actor=user,
                problem_slug=data["problem"],
                difficulty=data["difficulty"],
                topic=data["topic"],
                visibility=data["visibility"],
                password=data["password"],
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            return redirect("practice:session", uid=session.uid)
    context = {
        "form": form,
        "lobby": selectors.lobby(exclude_user=user),
        "mine": selectors.my_sessions(user=user),
        "difficulties": Difficulty.choices,
        "topics": selectors.topics(),
        "problem_choices": selectors.problems(user=user).only("slug", "title", "difficulty"),
    }
    return render(request, "practice/sessions.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def lobby(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "practice/_lobby.html",
        {"lobby": selectors.lobby(exclude_user=request.user)},
    )


@login_required
@editor_csp
def session_detail(request: AuthedRequest, uid: str) -> HttpResponse:
    """Participants get the shared workspace (or the summary once it ended); anyone else gets
    the join page."""
    user: User = request.user
    session = selectors.access_session(user=user, uid=uid, as_participant=False)
    if user.pk not in session.participant_ids:
        return _join_page(request, session, JoinForm())
    if session.status == PracticeSession.Status.ENDED:
        return redirect("practice:summary", uid=session.uid)
    room = session.room
    context = _workspace_context(request, session.problem, session)
    partner = session.guest if user.pk == session.host_id else session.host
    latest = selectors.latest_session_progress(session=session)
    context.update(
        {
            "room": room,
            "partner": partner,
            "partner_progress": latest.get(partner.pk) if partner else None,
            "participants": [p for p in (session.host, session.guest) if p],
            "chat": live_selectors.chat_history(room=room),
            "notes": live_selectors.notes(room=room),
            "strokes": list(live_selectors.strokes(room=room).values("id", "data")),
            "files": live_selectors.files(room=room),
            "join_url": request.build_absolute_uri(reverse("practice:session", args=[session.uid])),
        }
    )
    return render(request, "practice/session.html", context)


def _join_page(
    request: HttpRequest, session: PracticeSession, form: JoinForm, status: int = 200
) -> HttpResponse:
    return render(request, "practice/join.html", {"session": session, "form": form}, status=status)


@login_required
@require_POST
def session_join(request: AuthedRequest, uid: str) -> HttpResponse:
    user: User = request.user
    session = selectors.access_session(user=user, uid=uid, as_participant=False)
    form = JoinForm(request.POST)
    form.is_valid()
    try:
        services.session_join(actor=user, uid=uid, password=form.cleaned_data.get("password", ""))
    except ServiceError as exc:
        form_error(form, exc)
        return _join_page(request, session, form, status=exc.status)
    return redirect("practice:session", uid=uid)


@login_required
@require_POST
def session_end(request: AuthedRequest, uid: str) -> HttpResponse:
    services.session_end(actor=request.user, uid=uid)
    messages.success(request, "You left the practice session.")
    return redirect("practice:summary", uid=uid)


@login_required
@require_GET
def session_summary(request: AuthedRequest, uid: str) -> HttpResponse:
    session = selectors.access_session(user=request.user, uid=uid)
    room = session.room
    context = {
        "session": session,
        "summary": selectors.session_summary(session=session),
        "chat": live_selectors.chat_history(room=room),
        "notes": live_selectors.notes(room=room),
        "files": live_selectors.files(room=room),
    }
    return render(request, "practice/summary.html", context)


@login_required
@require_GET
def progress(request: AuthedRequest) -> HttpResponse:
    return render(
        request,
        "practice/progress.html",
        {"progress": selectors.progress(user=request.user)},
    )
