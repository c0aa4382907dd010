"""/metrics: request counts by route and status, the task queue; loopback or a token only."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_it_counts_requests_by_route_and_status(client) -> None:
    client.get("/readyz")
    client.get("/no-such-page/")
    body = client.get("/metrics").content.decode()
    assert 'peerlearn_http_requests_total{method="GET",route="/readyz",status="200"}' in body
    assert 'route="unmatched",status="404"' in body
    assert 'peerlearn_http_request_duration_seconds_bucket{le="0.005",route="/readyz"}' in body
    assert 'peerlearn_tasks{status="ready"} 0.0' in body
    assert 'peerlearn_submissions_in_judge{status="running"} 0.0' in body


def test_it_refuses_other_addresses(client) -> None:
    response = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403


def test_a_bearer_token_lets_a_remote_scraper_in(client, settings) -> None:
    settings.METRICS_TOKEN = "scrape-me"
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer guess")
    right = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-me")
    assert (wrong.status_code, right.status_code) == (403, 200)
