"""Prometheus metrics: requests by route, method and status, their latency, and the task queue.

Every web process records into its own files under PROMETHEUS_MULTIPROC_DIR (set by
deploy/prod.py and the systemd env file); ``/metrics`` on any process sums all of them. Without
that variable (``make run``, tests) the process's own registry is served.

``/metrics`` answers to the addresses in METRICS_ALLOWED_IPS (default loopback, where nginx and
a local Prometheus are) or to ``Authorization: Bearer <METRICS_TOKEN>``; nginx also lets only
loopback reach it.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REQUESTS = Counter("peerlearn_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "peerlearn_http_request_duration_seconds",
    "Time from the first middleware to the response",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class MetricsMiddleware:
    """Outermost middleware: one counter and one histogram update per request (a few µs; the
    labelled children are looked up once per route and status, not per request)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self._latency: dict[str, Any] = {}
        self._requests: dict[tuple[str, str, int], Any] = {}

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        # The URL pattern, not the path: a bounded set of label values.
        route = "/" + match.route if match is not None else "unmatched"
        latency = self._latency.get(route)
        if latency is None:
            latency = self._latency[route] = LATENCY.labels(route)
        latency.observe(time.perf_counter() - started)
        key = (request.method or "", route, response.status_code)
        counter = self._requests.get(key)
        if counter is None:
            counter = self._requests[key] = REQUESTS.labels(key[0], route, str(key[2]))
        counter.inc()
        return response


class QueueCollector(Collector):
    """Read at scrape time (one COUNT query), so no process has to keep it up to date."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count
        from django_tasks_db.models import DBTaskResult

        tasks = GaugeMetricFamily(
            "peerlearn_tasks", "Background tasks not finished, by status", labels=["status"]
        )
        counts = dict(
            DBTaskResult.objects.filter(status__in=["READY", "RUNNING"])
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        for status in ("READY", "RUNNING"):
            tasks.add_metric([status.lower()], counts.get(status, 0))
        yield tasks


# Collectors that apps add to every scrape (read at scrape time), e.g. practice's judge queue;
# registered in their AppConfig.ready() (common imports no app: docs/architecture.md).
_SCRAPE_COLLECTORS: list[Callable[[], Collector]] = [QueueCollector]


def register_scrape_collector(factory: Callable[[], Collector]) -> None:
    """Add ``factory()``'s metrics to every scrape of /metrics."""
    if factory not in _SCRAPE_COLLECTORS:
        _SCRAPE_COLLECTORS.append(factory)


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    return request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS


def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every process's files, summed
    else:
        for collector in (REQUESTS, LATENCY):
            registry.register(collector)
    for factory in _SCRAPE_COLLECTORS:
        registry.register(factory())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
