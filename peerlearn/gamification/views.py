"""Gamification pages: the leaderboards, my points (ledger, streak, heat map) and my badges.

Thin adapters: parse the query, call a selector, render. The leaderboard answers HTMX requests
with the board alone (the URL carries period, scope and id, so it can be shared and reloaded).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from peerlearn.accounts.models import User
from peerlearn.accounts.requests import AuthedRequest, current_user
from peerlearn.common.errors import REFUSALS
from peerlearn.common.web import is_htmx, paginate

from . import rules, selectors


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
def leaderboard(request: HttpRequest) -> HttpResponse:
    viewer = current_user(request)
    period = request.GET.get("period", "week")
    period = period if period in selectors.PERIODS else "week"
    scope = request.GET.get("scope", "global")
    scope = scope if scope in selectors.SCOPES else "global"
    scope_id = _int_or_none(request.GET.get("id"))
    subjects = selectors.subject_choices()
    institutions = selectors.institution_choices()
    if scope == "subject" and scope_id is None and subjects:
        scope_id = subjects[0].pk
    if scope == "institution" and scope_id is None:
        profile = getattr(viewer, "profile", None)
        scope_id = getattr(profile, "institution_id", None) or (
            institutions[0].pk if institutions else None
        )
    board = None
    problem = ""
    try:
        board = selectors.leaderboard(period=period, scope=scope, scope_id=scope_id, viewer=viewer)
    except REFUSALS as exc:
        problem = exc.message

    def link(to_period: str, to_scope: str, to_id: int | None) -> str:
        query: dict[str, Any] = {"period": to_period, "scope": to_scope}
        if to_scope != "global" and to_id is not None:
            query["id"] = to_id
        return "?" + urlencode(query)

    context = {
        "board": board,
        "problem": problem,
        "period": period,
        "scope": scope,
        "scope_id": scope_id,
        "periods": [
            (key, label, link(key, scope, scope_id)) for key, label in selectors.PERIODS.items()
        ],
        "scopes": [
            (key, label, link(period, key, scope_id if key == scope else None))
            for key, label in selectors.SCOPES.items()
        ],
        "subjects": subjects,
        "institutions": institutions,
    }
    template = "gamification/leaderboard.html"
    if is_htmx(request):
        template += "#board"
    return render(request, template, context)


@login_required
@require_GET
def me(request: AuthedRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    page = paginate(request, selectors.ledger_list(user=user), per_page=25)
    for award in page.object_list:
        award.cause_label = selectors.cause_label(award.cause)
    context = {
        "page": page,
        "total": selectors.points_total(user=user),
        "week_points": selectors.points_in_period(user=user, period="week"),
        "month_points": selectors.points_in_period(user=user, period="month"),
        "streak": selectors.streak_get(user=user),
        "heatmap": selectors.heatmap_get(user=user),
        "causes": [c for c in rules.CAUSES.values()],
        "earned": selectors.earned_badges(user=user),
    }
    return render(request, "gamification/me.html", context)


@login_required
@require_GET
def badges(request: AuthedRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    statuses = selectors.badges_list(user=user)
    return render(
        request,
        "gamification/badges.html",
        {"statuses": statuses, "earned_count": sum(1 for s in statuses if s.earned_at)},
    )
