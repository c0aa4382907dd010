"""Fast pages for the API's busiest lists: one query for a page and its total, items written
straight to JSON.

``@fast_page(item)`` goes where ``@paginate(Page)`` went. The operation keeps its
parameters (``page``, ``page_size``), its ``{"items": [...], "count": n}`` shape and its OpenAPI
document (ninja's own pagination still declares them); what changes is the cost:

- ninja counts with a second query; here the total rides on every row (``COUNT(*) OVER ()``),
  and a second query is made only for a page past the end;
- ninja validates every item against its schema (through ``DjangoGetter``, attribute by attribute)
  and then encodes it; here ``item(row)`` builds the item's JSON-ready dict and the page is
  encoded once. Each app's tests check that ``item`` matches the operation's schema exactly.

Only for querysets whose rows are distinct without ``DISTINCT`` (a window counts before it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, QuerySet, Window
from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.renderers import JSONRenderer

TOTAL = "page_total"
_encoder = DjangoJSONEncoder()
_renderer = JSONRenderer()
CONTENT_TYPE = f"{_renderer.media_type}; charset={_renderer.charset}"


def json_time(moment: datetime | None) -> str | None:
    """A datetime exactly as the API's JSON encoder writes it (milliseconds, ``Z`` for UTC)."""
    return None if moment is None else str(_encoder.default(moment))


MAX_PAGE = 1_000_000  # documented as the maximum: no list here has that many pages


class Page(PageNumberPagination):
    """ninja's page-number pagination with the page number bounded in the document, so a page
    number past anything the database can offset (2**70) is a documented 422, not a surprise."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)


class OneQueryPage(Page):
    """ninja's page-number pagination, with the total counted in the page's own query."""

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        size = self._get_page_size(pagination.page_size)
        offset = (pagination.page - 1) * size
        if not isinstance(queryset, QuerySet):
            return super().paginate_queryset(queryset, pagination, request, **params)
        rows = list(queryset.annotate(**{TOTAL: Window(Count("*"))})[offset : offset + size])
        if rows:
            first = rows[0]
            count = first[TOTAL] if isinstance(first, dict) else getattr(first, TOTAL)
        else:
            count = 0 if offset == 0 else queryset.count()
        return {"items": rows, "count": count}


def fast_page(
    item: Callable[..., dict[str, Any]],
    *,
    page_size: int | None = None,
    prepare: Callable[[list[Any], HttpRequest], Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Paginate the operation's queryset as ninja's ``@paginate`` would, answering with the page
    encoded by ``item``: one JSON-ready dict per row, from ``item(row)``, or with ``prepare``
    from ``item(row, prepare(rows, request))`` (what the whole page needs, read once: the
    caller, or related rows in one query)."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        size = page_size or settings.NINJA_PAGINATION_PER_PAGE
        paginated = paginate(OneQueryPage, page_size=size)(func)

        @functools.wraps(paginated)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            page = paginated(request, **kwargs)
            rows = page["items"]
            if prepare is None:
                items = [item(row) for row in rows]
            else:
                context = prepare(rows, request)
                items = [item(row, context) for row in rows]
            body = {"items": items, "count": page["count"]}
            content = _renderer.render(request, body, response_status=200)
            return HttpResponse(content, status=200, content_type=CONTENT_TYPE)

        return view

    return decorate
