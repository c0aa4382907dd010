"""Dashboard pages: the home page (with the signed-in user's dashboard), the learner's, the
tutor's and the administrators' analytics, each table also as CSV (``?export=<table>``).
Adapters only: parse, call a selector or service, render."""

from __future__ import annotations

import csv
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from peerlearn.accounts import selectors as account_selectors
from peerlearn.accounts import services as account_services
from peerlearn.accounts.models import LearningSubject, User
from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import Forbidden, ServiceError
from peerlearn.common.web import form_error

from . import dashboards, selectors, services
from .forms import GoalForm
from .home import home_dashboard
from .selectors import Table


def home(request: HttpRequest) -> HttpResponse:
    showcase = account_selectors.home_showcase()  # cached: constant cost in the tutor count
    context: dict[str, object] = {"counts": showcase.counts, "featured": showcase.featured}
    if request.user.is_authenticated:
        account_services.profile_ensure(user=request.user)
        context["dashboard"] = home_dashboard(user=request.user)
    return render(request, "home.html", context)


def csv_response(table: Table, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if v is None else _csv_safe(v) for v in row])
    return response


def _csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"}:
        return "'" + value
    return value


def _export(request: HttpRequest, tables: dict[str, Table], prefix: str) -> HttpResponse | None:
    name = request.GET.get("export")
    if not name:
        return None
    table = tables.get(name)
    if table is None:
        return HttpResponse("No such table.\n", status=404, content_type="text/plain")
    return csv_response(table, f"{prefix}-{name}")


@login_required
def admin_dashboard(request: AuthedRequest) -> HttpResponse:
    try:
        scope = selectors.access_analytics(request.user)
    except Forbidden as exc:
        return render(request, "analytics/forbidden.html", {"message": exc.message}, status=403)
    error = ""
    try:
        filters = selectors.filters_parse(scope, request.GET.dict())
    except Forbidden as exc:
        return render(request, "analytics/forbidden.html", {"message": exc.message}, status=403)
    except ServiceError as exc:
        error = exc.message
        filters = selectors.filters_parse(scope, {})
    report = selectors.admin_report(scope=scope, filters=filters)
    suffix = f"{filters.start}_{filters.end}" + (
        f"_institution-{filters.institution_id}" if filters.institution_id else ""
    )
    exported = _export(request, report.tables, f"analytics-{suffix}")
    if exported is not None:
        return exported
    return render(
        request,
        "analytics/admin.html",
        {
            "report": report,
            "error": error,
            "query": request.GET.urlencode(),
            "tz_name": settings.ANALYTICS_TIME_ZONE,
        },
        status=400 if error else 200,
    )


@login_required
def learner(request: AuthedRequest) -> HttpResponse:
    user = request.user
    board = dashboards.learner_dashboard(user=user)
    exported = _export(request, board.tables, "my-learning")
    if exported is not None:
        return exported
    return render(
        request, "analytics/learner.html", {"board": board, "goal_form": _goal_form(user)}
    )


def _goal_form(user: User, data: Any = None) -> GoalForm:
    subjects = [
        ls.subject for ls in LearningSubject.objects.filter(user=user).select_related("subject")
    ]
    return GoalForm(data, subjects=subjects)


@login_required
@require_POST
def goal_add(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = _goal_form(user, request.POST)
    if form.is_valid():
        subject = form.cleaned_data["subject"]
        try:
            services.goal_create(
                actor=user,
                kind=form.cleaned_data["kind"],
                target=form.cleaned_data["target"],
                due_on=form.cleaned_data["due_on"],
                subject_id=subject.pk if subject else None,
            )
        except ServiceError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Goal added.")
            return redirect("analytics:learner")
    board = dashboards.learner_dashboard(user=user)
    return render(
        request, "analytics/learner.html", {"board": board, "goal_form": form}, status=400
    )


@login_required
@require_POST
def goal_delete(request: AuthedRequest, goal_id: int) -> HttpResponse:
    try:
        services.goal_delete(actor=request.user, goal_id=goal_id)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Goal removed.")
    return redirect("analytics:learner")


@login_required
def tutor(request: AuthedRequest) -> HttpResponse:
    board = dashboards.tutor_dashboard(user=request.user)
    exported = _export(request, board.tables, "my-teaching")
    if exported is not None:
        return exported
    return render(request, "analytics/tutor.html", {"board": board})
