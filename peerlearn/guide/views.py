"""The guide pages: an index with search, one page per guide, the privacy notice and terms."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from peerlearn.guide import pages

MAX_QUERY = 100


def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    sections: dict[str, list[pages.Guide]] = {}
    for item in pages.all_guides():
        if item.section != "policy":
            sections.setdefault(item.section_title, []).append(item)
    return render(
        request,
        "guide/index.html",
        {
            "query": query,
            "hits": pages.search(query) if query else None,
            "sections": sections,
        },
    )


def page(request: HttpRequest, slug: str) -> HttpResponse:
    item = pages.guide(slug)
    if item is None:
        raise Http404("No such guide.")
    return render(
        request,
        "guide/page.html",
        {"guide": item, "guides": [g for g in pages.all_guides() if g.section != "policy"]},
    )


def privacy(request: HttpRequest) -> HttpResponse:
    return page(request, "privacy")


def terms(request: HttpRequest) -> HttpResponse:
    return page(request, "terms")
