"""Rendering and sending templated email (HTML + text)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated_email(
    *,
    to: list[str],
    template: str,
    context: dict[str, Any],
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    """Render ``<template>_subject.txt``, ``_body.txt`` and ``_body.html`` and send them."""
    ctx = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"{template}_subject.txt", ctx).split())
    text = render_to_string(f"{template}_body.txt", ctx)
    html = render_to_string(f"{template}_body.html", ctx)
    message = EmailMultiAlternatives(subject=f"[PeerLearn] {subject}", body=text, to=to)
    message.attach_alternative(html, "text/html")
    for name, content, mime in attachments or []:
        message.attach(name, content, mime)
    message.send()
