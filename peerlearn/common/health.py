"""Readiness: can this process serve traffic right now? (``/healthz``, in views, only says the
process is up.) A load balancer or ``make prod`` polls ``/readyz``; 503 with the reasons when not.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

# Once every migration is applied it stays applied for the life of this code (new migrations
# come with new code, hence a restart), so the migration graph is read once, not per probe.
_migrations_applied = False


def _database_problem() -> str | None:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"database: {type(exc).__name__}: {exc}"
    return None


def _cache_problem() -> str | None:
    if not settings.REDIS_URL:
        return None  # the local in-process cache cannot be down
    try:
        cache.set("readyz", "1", timeout=10)
        if cache.get("readyz") != "1":
            return "cache: a value written could not be read back"
    except Exception as exc:
        return f"cache: {type(exc).__name__}: {exc}"
    return None


def _migrations_problem() -> str | None:
    global _migrations_applied
    if _migrations_applied:
        return None
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        return f"migrations: {type(exc).__name__}: {exc}"
    if plan:
        pending = ", ".join(f"{m.app_label}.{m.name}" for m, _ in plan[:5])
        return f"migrations: {len(plan)} not applied ({pending})"
    _migrations_applied = True
    return None


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    problems = [p for p in (_database_problem(), _cache_problem()) if p]
    if not problems:  # the migration check needs the database
        problems = [p for p in (_migrations_problem(),) if p]
    if problems:
        return JsonResponse({"ready": False, "problems": problems}, status=503)
    return JsonResponse({"ready": True})
