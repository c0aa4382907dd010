"""Matching endpoints of the JSON API: the tutor search and recommendations.

Adapters only: the same selectors as the pages. Results carry a rounded distance, never a
place or coordinates.
"""

# No ``from __future__ import annotations``: ninja reads annotations at import time.
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from peerlearn.accounts.models import User
from peerlearn.api.auth import optional_user, request_user
from peerlearn.common.errors import Invalid

from . import selectors, services
from .impressions import log_search

router = Router(tags=["matching"])


def _documented(default: Any, **bounds: Any) -> Any:
    """A parameter's allowed values, described in the OpenAPI document as
    ``selectors.filter_problems`` enforces them (its 422 ``invalid_filter`` names the filter)."""
    return Field(default, json_schema_extra=bounds)


def _one_of(*values: str) -> Any:
    return _documented("", enum=["", *values])


class SearchParams(Schema):
    q: str = ""
    subject: int | None = _documented(None, minimum=1, maximum=selectors.MAX_ID)
    level: str = _one_of(*selectors.LEVEL_RANK)
    weekday: int | None = _documented(None, minimum=0, maximum=6)
    part: str = _one_of(*selectors.PARTS_OF_DAY)
    next_days: int | None = _documented(None, minimum=1, maximum=14)
    language: str = ""
    institution: int | None = _documented(None, minimum=1, maximum=selectors.MAX_ID)
    verified: bool = False
    min_rating: float | None = _documented(None, minimum=1, maximum=5)
    max_km: float | None = _documented(None, exclusiveMinimum=0, maximum=20_000)
    format: str = _one_of(*selectors.SessionFormat.values)
    sort: str = _documented("relevance", enum=list(selectors.SORTS))
    page: int = 1


class SubjectOut(Schema):
    name: str
    verified: bool
    level: str


class TutorOut(Schema):
    id: int
    display_name: str
    bio: str
    institution: str
    subjects: list[SubjectOut]
    rating: float
    rating_count: int
    distance_km: int | None
    match: str
    url: str


class SearchOut(Schema):
    count: int  # at most SEARCH_COUNT_CAP (1000); count_exact is False when there are more
    count_exact: bool
    page: int
    pages: int
    results: list[TutorOut]


class RecommendationOut(Schema):
    tutor_id: int
    display_name: str
    score: float
    parts: dict[str, float]
    explanation: str
    url: str


def _tutor_out(hit: selectors.TutorHit) -> dict[str, Any]:
    return {
        "id": hit.tutor_id,
        "display_name": hit.display_name,
        "bio": hit.bio,
        "institution": hit.institution,
        "subjects": [{"name": n, "verified": v, "level": lv} for n, v, lv in hit.subjects],
        "rating": hit.rating,
        "rating_count": hit.rating_count,
        "distance_km": hit.distance_km,
        "match": hit.match,
        "url": f"/people/{hit.tutor_id}/",
    }


@router.get("/tutors/search", response=SearchOut, auth=None)
def tutors_search(request: HttpRequest, params: Query[SearchParams]) -> dict[str, Any]:
    """Tutors matching every given filter (the same names as the /tutors/ page), 20 a page;
    counted up to 1,000 ("count_exact": false past that). A value out of range (an id below
    1, weekday 9, min_rating above 5, an unknown level or sort...) answers 400 with code
    ``invalid_filter`` and the parameter's name; an unknown subject id finds nobody."""
    problems = selectors.filter_problems(request.GET)
    if problems:
        name, message = problems[0]
        raise Invalid(message, code="invalid_filter", field=name)
    viewer = optional_user(request)
    data = params.dict()
    data["verified"] = "1" if params.verified else ""
    filters = selectors.filters_from_query(data)
    results = selectors.search_page(filters=filters, viewer=viewer, page=params.page)
    log_search(viewer=viewer, filters=filters, hits=results.hits)
    return {
        "count": results.count,
        "count_exact": results.count_exact,
        "page": results.page.number,
        "pages": results.page.paginator.num_pages,
        "results": [_tutor_out(h) for h in results.hits],
    }


@router.get("/tutors/recommended", response=list[RecommendationOut])
def tutors_recommended(
    request: HttpRequest, subject: int | None = None, n: int = 10
) -> list[dict[str, Any]]:
    """The caller's recommended tutors with each score's parts and explanation."""
    learner = request_user(request)
    recs = services.recommendations_show(learner=learner, subject_id=subject, n=max(1, min(n, 50)))
    names = {
        u.pk: u.display_name
        for u in User.objects.filter(pk__in=[r.tutor_id for r in recs]).select_related("profile")
    }
    return [
        {
            "tutor_id": r.tutor_id,
            "display_name": names.get(r.tutor_id, ""),
            "score": r.score,
            "parts": r.parts,
            "explanation": r.explanation,
            "url": f"/people/{r.tutor_id}/",
        }
        for r in recs
    ]
