"""The Django baseline: one "hello" view, no middleware, no apps, no database.

``application`` is its WSGI entry point and ``asgi_application`` its ASGI one, so the same view
can be measured under both interfaces (bench/http.py).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-bare-django-" + "x" * 40,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_I18N=False,
    LOGGING_CONFIG=None,
)


def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"hello", content_type="text/plain")


urlpatterns = [path("", hello)]

from django.core.asgi import get_asgi_application  # noqa: E402  (needs the settings above)
from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
asgi_application = get_asgi_application()
