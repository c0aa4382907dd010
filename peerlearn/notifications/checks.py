"""System checks: a malformed SMS_BACKEND fails at start-up, not at the first reminder."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from .sms import parse_sms_backend


@register()
def check_sms_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        parse_sms_backend(getattr(settings, "SMS_BACKEND", "console"))
    except ImproperlyConfigured as exc:
        return [
            Error(
                str(exc),
                hint="Use 'console', 'memory' or "
                "twilio+https://SID:TOKEN@api.twilio.com/?from=%2B15550001111",
                id="notifications.E001",
            )
        ]
    return []
