"""Messaging pages: the inbox, a conversation, starting one, settings, the moderators' queue
and the permission-checked attachment downloads. Adapters only: rules are in services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from peerlearn.accounts.models import User
from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import REFUSALS, ServiceError

from . import selectors, services
from .forms import MessageForm, ReportForm, StartForm
from .models import Conversation, Message

INBOX_PAGE = 20


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    others: list[User]
    last: Message | None
    unread: int


@login_required
def inbox(request: AuthedRequest) -> HttpResponse:
    user = request.user
    page = Paginator(selectors.conversation_list(user=user), INBOX_PAGE).get_page(
        request.GET.get("page")
    )
    last = selectors.last_messages(page)
    rows = [
        InboxRow(
            conversation=item,
            others=[m.user for m in item.members if m.user_id != user.pk],  # type: ignore[attr-defined]
            last=last.get(item.last_message_id),
            unread=int(getattr(item, "unread", 0)),
        )
        for item in page
    ]
    return render(
        request,
        "messaging/inbox.html",
        {"page": page, "rows": rows, "read_receipts": selectors.read_receipts_enabled(user)},
    )


@login_required
def start(request: AuthedRequest) -> HttpResponse:
    """``?with=<user id>`` (repeatable for a group, or comma-separated) and optional
    ``&booking=<id>``. An existing direct conversation opens at once; otherwise a short form
    creates it with a first message."""
    user = request.user
    raw = [part for value in request.GET.getlist("with") for part in value.split(",")]
    ids = sorted({i for i in (_int(v) for v in raw) if i is not None and i != user.pk})
    booking_id = _int(request.GET.get("booking"))
    people = list(User.objects.filter(pk__in=ids, is_active=True).select_related("profile"))
    if not people or len(people) != len(ids):
        raise Http404("No such person.")
    if len(people) == 1 and request.method == "GET":
        existing = selectors.direct_conversation(user, people[0])
        if existing is not None:
            return redirect("messaging:conversation", conversation_id=existing.pk)
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.conversation_start(
                actor=user, with_ids=ids, title=form.cleaned_data["title"], booking_id=booking_id
            )
            if form.cleaned_data["body"].strip():
                services.message_send(
                    actor=user, conversation_id=conversation.pk, body=form.cleaned_data["body"]
                )
        except REFUSALS as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("messaging:conversation", conversation_id=conversation.pk)
    return render(
        request,
        "messaging/start.html",
        {"people": people, "form": form, "is_group": len(people) > 1},
    )


@login_required
def conversation(request: AuthedRequest, conversation_id: int) -> HttpResponse:
    user = request.user
    item = selectors.access_conversation(user=user, conversation_id=conversation_id)
    before = _int(request.GET.get("before"))
    history = selectors.messages(conversation=item, before_id=before)
    if before is None and history:
        services.conversation_mark_read(actor=user, conversation_id=item.pk, last_id=history[-1].pk)
    others = [m.user for m in item.members if m.user_id != user.pk]  # type: ignore[attr-defined]
    receipts = selectors.receipts(viewer=user, conversation=item)
    seen_id = _seen_id(receipts, item.is_group)
    context: dict[str, Any] = {
        "conversation": item,
        "others": others,
        "history": history,
        "older": history[0].pk if history and len(history) == selectors.HISTORY_PAGE else None,
        "paged": before is not None,
        "form": MessageForm(),
        "report_form": ReportForm(),
        "seen_id": seen_id,
        "receipts_json": receipts,
        "blocked_other": (not item.is_group and others and selectors.is_blocked(user, others[0])),
        "max_bytes": services.max_attachment_bytes(),
    }
    return render(request, "messaging/conversation.html", context)


def _seen_id(receipts: dict[int, int], is_group: bool) -> int:
    """The last of the viewer's messages marked "Seen": read by the other person (or, in a
    group, by at least one member sharing receipts)."""
    if not receipts:
        return 0
    return max(receipts.values()) if is_group else next(iter(receipts.values()))


def _json_error(exc: ServiceError) -> JsonResponse:
    fields = {exc.field: [exc.message]} if exc.field else {}
    return JsonResponse(
        {"error": {"code": exc.code, "message": exc.message, "fields": fields}},
        status=exc.status,
    )


@login_required
@require_POST
def send(request: AuthedRequest, conversation_id: int) -> HttpResponse:
    """Post a message (the page's form; answers JSON to fetch, a redirect otherwise)."""
    wants_json = request.headers.get("Accept", "").startswith("application/json")
    upload = request.FILES.get("file")
    try:
        message = services.message_send(
            actor=request.user,
            conversation_id=conversation_id,
            body=request.POST.get("body", ""),
            upload=upload,
        )
    except REFUSALS as exc:
        if wants_json:
            return _json_error(exc)
        flash.error(request, exc.message)
        return redirect("messaging:conversation", conversation_id=conversation_id)
    if wants_json:
        return JsonResponse(services.message_event(message), status=201)
    return redirect("messaging:conversation", conversation_id=conversation_id)


@login_required
@require_POST
def block(request: AuthedRequest, user_id: int) -> HttpResponse:
    user = request.user
    try:
        blocked = services.block_add(actor=user, user_id=user_id)
    except REFUSALS as exc:
        flash.error(request, exc.message)
    else:
        flash.success(
            request,
            f"You blocked {blocked.blocked.display_name}. They can no longer message you or "
            "request sessions with you.",
        )
    return redirect(_next(request, reverse("messaging:settings")))


@login_required
@require_POST
def unblock(request: AuthedRequest, user_id: int) -> HttpResponse:
    services.block_remove(actor=request.user, user_id=user_id)
    flash.success(request, "Unblocked.")
    return redirect(_next(request, reverse("messaging:settings")))


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@login_required
@require_POST
def report(request: AuthedRequest, message_id: int) -> HttpResponse:
    user = request.user
    form = ReportForm(request.POST)
    message = selectors.access_message(user=user, message_id=message_id)
    if form.is_valid():
        try:
            services.message_report(
                actor=user, message_id=message.pk, reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            flash.error(request, exc.message)
        else:
            flash.success(request, "Thank you. A moderator will look at this message.")
    else:
        flash.error(request, "Say what is wrong with the message.")
    return redirect("messaging:conversation", conversation_id=message.conversation_id)


@login_required
def settings_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        enabled = request.POST.get("read_receipts") == "on"
        services.read_receipts_set(actor=user, enabled=enabled)
        flash.success(request, f"Read receipts are {'on' if enabled else 'off'}.")
        return redirect("messaging:settings")
    return render(
        request,
        "messaging/settings.html",
        {
            "read_receipts": selectors.read_receipts_enabled(user),
            "blocks": selectors.blocked_users(user=user),
        },
    )


@login_required
def moderation(request: AuthedRequest) -> HttpResponse:
    reports = selectors.open_reports(actor=request.user)
    return render(request, "messaging/moderation.html", {"reports": reports})


@login_required
@require_POST
def resolve(request: AuthedRequest, report_id: int) -> HttpResponse:
    services.report_resolve(
        actor=request.user, report_id=report_id, resolution=request.POST.get("resolution", "")
    )
    flash.success(request, "Report resolved.")
    return redirect("messaging:moderation")


# --- files: only members, never inline as a document ----------------------------------------


def private_file_response(
    field: Any, *, filename: str, content_type: str, inline: bool
) -> FileResponse:
    """Stream a private file. Documents always download; only images we re-encoded ourselves
    (WebP) are shown inline. Either way the browser may not sniff or run anything."""
    response = FileResponse(
        field.open("rb"),
        as_attachment=not inline,
        filename=filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _attachment(request: AuthedRequest, attachment_id: int) -> Any:
    return selectors.access_attachment(user=request.user, attachment_id=attachment_id)


@login_required
def attachment(request: AuthedRequest, attachment_id: int) -> HttpResponseBase:
    item = _attachment(request, attachment_id)
    return private_file_response(
        item.file, filename=item.original_name, content_type=item.content_type, inline=False
    )


@login_required
def image(request: AuthedRequest, attachment_id: int) -> HttpResponseBase:
    item = _attachment(request, attachment_id)
    if not item.is_image:
        raise Http404("Not an image.")
    return private_file_response(
        item.file, filename=item.original_name, content_type="image/webp", inline=True
    )


@login_required
def thumbnail(request: AuthedRequest, attachment_id: int) -> HttpResponseBase:
    item = _attachment(request, attachment_id)
    if not item.is_image or not item.thumbnail:
        raise Http404("No thumbnail.")
    return private_file_response(
        item.thumbnail, filename=f"thumb-{item.pk}.webp", content_type="image/webp", inline=True
    )
