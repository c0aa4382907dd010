"""WSGI entry point: plain HTTP is served by WSGI workers (granian); WebSockets by config.asgi."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from peerlearn.matching.index import warm_up_in_background  # noqa: E402

warm_up_in_background()  # recommendations' tutor index, loaded or built off the request path
