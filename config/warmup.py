"""Start-up work of a web process, so that no visitor's request pays for it. ``config.wsgi`` and
``config.asgi`` call ``start`` once the application is loaded (management commands and tests
never import them; tests that do have ``WARM_UP`` off):

- the URLconf is imported at once, before the server takes requests (every app's views and
  API: ~1.7 s that the first request of each process paid before);
- the recommendations' tutor index is loaded from a snapshot (milliseconds) or built (seconds)
  in a background thread, since it needs the database; a request that needs it meanwhile waits
  for that thread (the index lock) instead of building a second copy;
- then, in the same thread, the OpenAPI document and the API reference page (``/api/v1/docs``)."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection
from django.urls import get_resolver

from peerlearn.common import health

logger = logging.getLogger(__name__)
THREAD_NAME = "peerlearn-warm-up"


def start() -> threading.Thread | None:
    if not settings.WARM_UP:
        return None
    get_resolver().url_patterns  # noqa: B018 (imports every URL module once)
    health.warm.clear()  # /readyz answers 503 until the index is loaded
    thread = threading.Thread(target=warm_up, name=THREAD_NAME, daemon=True)
    thread.start()
    return thread


def warm_up() -> None:
    load_tutor_index()
    build_api_reference()


def build_api_reference() -> None:
    """The OpenAPI document and the reference page made from it (a second or more of CPU that
    the first visitor of ``/api/v1/docs`` would otherwise wait for)."""
    from config.apireference import reference_body

    try:
        reference_body()
    except Exception:
        logger.warning("API reference warm-up failed", exc_info=True)


def load_tutor_index() -> None:
    from peerlearn.matching.index import get_index

    try:
        get_index().entries()  # and its per-entry layout (the recommendations' bound)
    except Exception:
        # The database may not be reachable yet: the first recommendation loads or builds it.
        logger.warning("tutor index warm-up failed", exc_info=True)
    finally:
        connection.close()  # this thread's own connection
        health.warm.set()
