"""Pages: the tutor search (``/tutors/``) and "Recommended for you" (``/tutors/recommended/``).

Adapters only: parse the query, call ``selectors.search_page`` / ``recommend.top_tutors``,
render. HTMX requests get the results panel alone (``hx-push-url`` keeps the URL in step).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from peerlearn.accounts.models import Level, SessionFormat, User
from peerlearn.accounts.requests import AuthedRequest, current_user
from peerlearn.accounts.selectors import WEEKDAY_NAMES, subject_choices
from peerlearn.accounts.services import LANGUAGE_CODES

from . import selectors, services
from .impressions import log_search
from .week import PARTS_OF_DAY


def search(request: HttpRequest) -> HttpResponse:
    filters = selectors.filters_from_query(request.GET)
    viewer = current_user(request)
    results = selectors.search_page(filters=filters, viewer=viewer, page=request.GET.get("page"))
    log_search(viewer=viewer, filters=filters, hits=results.hits)
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    context = {
        "filters": filters,
        "results": results,
        "page": results.page,
        "hits": results.hits,
        "extra_query": urlencode(query),
        "subjects": subject_choices(),
        "levels": Level.choices,
        "weekdays": list(enumerate(WEEKDAY_NAMES)),
        "parts": list(PARTS_OF_DAY),
        "languages": sorted(LANGUAGE_CODES.items(), key=lambda kv: kv[1]),
        "institutions": selectors.institution_choices(),
        "formats": SessionFormat.choices,
        "sorts": selectors.SORTS,
        "located": bool(
            viewer and getattr(viewer, "profile", None) and viewer.profile.has_location
        ),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "matching/search.html#results", context)
    return render(request, "matching/search.html", context)


@login_required
def recommended(request: AuthedRequest) -> HttpResponse:
    learner: User = request.user
    subject_id = selectors.parse_int(request.GET.get("subject"))
    recs = services.recommendations_show(learner=learner, subject_id=subject_id, n=10)
    people = {
        u.pk: u
        for u in User.objects.filter(pk__in=[r.tutor_id for r in recs]).select_related("profile")
    }
    rows = [(r, people[r.tutor_id]) for r in recs if r.tutor_id in people]
    return render(
        request,
        "matching/recommended.html",
        {
            "rows": rows,
            "learning": list(learner.learning_subjects.select_related("subject")),
            "subject_id": subject_id,
        },
    )
