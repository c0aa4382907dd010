"""Query counts of list pages and list endpoints: what a GET costs with a few rows and with many
must be the same number of queries (no query per row, no N+1)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from peerlearn.accounts.models import User

MANY = 50  # rows a list is seeded with before the second count


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def queries(client: Client, url: str) -> int:
    """The number of queries of one GET of ``url`` (which must answer 200)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured.captured_queries)


def assert_flat(pages: Iterable[tuple[Client, str]], grow: Callable[[], object]) -> None:
    """Count each page's queries (a client and the URL it gets), ``grow`` the data (to at least
    MANY rows per list), count again: no count may be higher. Each count is of a second
    visit, so what a first visit does once (fill a cache, mark the new messages read) does not
    count as a difference."""
    pages = list(pages)

    def count() -> dict[str, int]:
        for client, url in pages:
            queries(client, url)
        return {url: queries(client, url) for client, url in pages}

    few = count()
    grow()
    many = count()
    grew = {url: (few[url], many[url]) for url in few if many[url] > few[url]}
    assert not grew, f"queries (few rows, many rows) grew: {grew}"
