from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def dev_mailbox(request: HttpRequest) -> HttpResponse:
    return render(request, "dev_mailbox.html", {})
