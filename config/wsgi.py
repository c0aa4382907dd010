"""WSGI entry point: plain HTTP is served by WSGI workers (granian); WebSockets by config.asgi."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config import warmup  # noqa: E402

warmup.start()  # URLconf and tutor index loaded off the request path
