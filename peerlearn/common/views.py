"""Site-wide pages: public media in local mode and the local mail viewer (the health check is
a middleware; the home page is ``analytics.views.home``, which reads every app)."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.static import serve


def public_media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Public uploads (avatars) in local mode; production serves MEDIA_ROOT from the web server."""
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _read_mailbox(folder: Path, limit: int = 50) -> list[dict[str, str]]:
    """Messages written by Django's file email backend (one file per connection, messages
    separated by a line of 79 dashes), newest first."""
    if not folder.is_dir():
        return []
    messages: list[dict[str, str]] = []
    files = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)[:limit]
    for path in files:
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if not chunk.strip():
                continue
            msg: EmailMessage = message_from_bytes(chunk.strip(), policy=policy.default)
            body = msg.get_body(preferencelist=("plain", "html"))
            messages.append(
                {
                    "id": f"{path.stem}",
                    "subject": str(msg["subject"] or ""),
                    "to": str(msg["to"] or ""),
                    "date": str(msg["date"] or ""),
                    "body": body.get_content() if body is not None else "",
                }
            )
    return messages[:limit]


def dev_mailbox(request: HttpRequest) -> HttpResponse:
    """Local mode only (DEBUG with the file email backend): read what the site has sent."""
    if not settings.DEBUG or not settings.EMAIL_FILE_PATH:
        raise Http404("The mail viewer is only available in local mode.")
    return render(
        request, "dev_mailbox.html", {"mails": _read_mailbox(Path(settings.EMAIL_FILE_PATH))}
    )
