"""The request's user, typed: the one "current user" helper of the web views.

A view behind ``login_required`` takes an ``AuthedRequest``; its ``request.user`` is a ``User``
for the type checker, with no cast and no ``type: ignore``. At run time it is the same
``HttpRequest`` (Django does not know the annotation); ``login_required`` is what makes it true.
A view that anyone may open asks ``current_user(request)``: the signed-in user, or None
(``context_user(context)`` in an API schema's resolver).
The API has its own (``peerlearn.api.auth.request_user``), which also knows bearer tokens.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import User


class AuthedRequest(HttpRequest):
    """A request whose user signed in (behind ``login_required``)."""

    user: User


def current_user(request: HttpRequest) -> User | None:
    """The signed-in user, or None for a visitor."""
    user = request.user
    return user if isinstance(user, User) else None


def context_user(context: dict[str, Any] | None) -> User | None:
    """The signed-in user of an API schema's resolve context (``{"request": ...}``), or None."""
    request = (context or {}).get("request")
    return current_user(request) if isinstance(request, HttpRequest) else None
