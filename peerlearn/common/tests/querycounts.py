"""Query counts of list pages and list endpoints: what a GET costs with a few rows and with many
must be the same number of queries (no query per row, no N+1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

MANY = 50  # rows a list is seeded with before the second count


def queries(client: Client, url: str) -> int:
    """The number of queries of one GET of ``url`` (which must answer 200)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def assert_flat(client: Client, urls: Iterable[str], grow: Callable[[], object]) -> None:
    """Count each URL's queries, ``grow`` the data (to at least MANY rows per list), count again:
    the counts must be equal. Every URL is fetched once first, so caches filled on a first
    visit (the user's row, the site) do not count as a difference."""
    urls = list(urls)
    for url in urls:
        queries(client, url)
    few = {url: queries(client, url) for url in urls}
    grow()
    many = {url: queries(client, url) for url in urls}
    assert many == few
