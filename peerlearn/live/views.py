"""Room pages: join a booking's room, the live room, the record afterwards, shared files."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from peerlearn.accounts.models import User
from peerlearn.accounts.requests import AuthedRequest
from peerlearn.common.errors import REFUSALS, ServiceError
from peerlearn.scheduling import selectors as scheduling_selectors

from . import selectors, services


@login_required
def join(request: AuthedRequest, booking_id: int) -> HttpResponse:
    """The "Join" button of a confirmed booking."""
    user: User = request.user
    booking = scheduling_selectors.access_booking(user=user, booking_id=booking_id)
    room = selectors.room_for_booking(booking=booking)
    try:
        selectors.access_room(user=user, room_id=room.pk, live=True)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("scheduling:detail", booking_id=booking.pk)
    return redirect("live:room", room_id=room.pk)


@login_required
def room(request: AuthedRequest, room_id: int) -> HttpResponse:
    """The live room while the join window is open; the session's record otherwise."""
    user: User = request.user
    item = selectors.access_room(user=user, room_id=room_id)
    if item.practice_session is not None:
        return redirect("practice:session", uid=item.practice_session.uid)
    booking = item.booking
    assert booking is not None
    window = selectors.join_window(booking)
    is_live = booking.status == booking.Status.CONFIRMED and window.is_open()
    now = timezone.now()
    if is_live or now > window.closes_at or booking.status not in booking.ACTIVE_STATUSES:
        record_state = "over"
    elif booking.status != booking.Status.CONFIRMED:
        record_state = "unconfirmed"
    else:
        record_state = "upcoming"
    participants = sorted(
        User.objects.filter(pk__in=selectors.participant_ids(booking)).select_related("profile"),
        key=lambda person: (person.pk != booking.tutor_id, person.display_name),
    )
    context = {
        "room": item,
        "booking": booking,
        "participants": participants,
        "window": window,
        "is_live": is_live,
        "record_state": record_state,
        "chat": selectors.chat_history(room=item),
        "notes": selectors.notes(room=item),
        "strokes": list(selectors.strokes(room=item).values("id", "data")),
        "files": selectors.files(room=item),
    }
    return render(request, "live/room.html" if is_live else "live/record.html", context)


@login_required
@require_POST
def upload(request: AuthedRequest, room_id: int) -> JsonResponse:
    """Share a file in the room (over HTTP; announced in the chat)."""
    upload_file = request.FILES.get("file")
    if upload_file is None:
        return JsonResponse(
            {"error": {"code": "required", "message": "Choose a file.", "fields": {}}}, status=400
        )
    try:
        message = services.file_share(actor=request.user, room_id=room_id, upload=upload_file)
    except REFUSALS as exc:
        return JsonResponse(
            {"error": {"code": exc.code, "message": exc.message, "fields": {}}}, status=exc.status
        )
    return JsonResponse({"id": message.pk}, status=201)


@login_required
def file_download(request: AuthedRequest, file_id: int) -> FileResponse:
    item = selectors.access_room_file(user=request.user, file_id=file_id)
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.original_name,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
