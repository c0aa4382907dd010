"""Cross-app reactions: typed events, published by the app where something happened and handled
by the apps above it that care (docs/architecture.md, "Layers between apps").

An app never imports an app above it. When a change below must cause work above — a booking
completed asks both sides for reviews and awards points — the lower app's service publishes an
event, and each upper app subscribes to it in its ``AppConfig.ready()``::

    # peerlearn/scheduling/hooks.py (the publisher owns the event type)
    @dataclass(frozen=True)
    class BookingCompleted(Event):
        booking: Booking

    # peerlearn/scheduling/services.py, inside the transaction that completed it
    hooks.publish(BookingCompleted(booking=booking))

    # peerlearn/reviews/apps.py
    def ready(self) -> None:
        hooks.subscribe(BookingCompleted, handlers.booking_completed)

``publish`` runs each handler once the caller's transaction commits (``transaction.on_commit``;
nothing runs for a rolled-back change, nor for a rolled-back savepoint), or at once when not in
a transaction; ``on_commit=False`` runs the handlers at once, inside the caller's transaction.
Handlers run in subscription order (the order of ``INSTALLED_APPS``); an exception in one is
raised to the caller, as a direct call's would be. Handlers should be quick and idempotent:
most enqueue a task.

Events are frozen dataclasses named for what happened (past tense). Each lives in the
publishing app's ``hooks.py``, so mypy checks every ``publish`` and every handler against it;
``subscribe`` is typed so a handler must accept the event type it subscribes to. Events carry
ids, or the row the service already holds (a handler reads anything else as committed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

__all__ = ["Event", "publish", "subscribe", "subscribers", "unsubscribe"]


@dataclass(frozen=True)
class Event:
    """Base of every hook event (subclass it as a frozen dataclass)."""


_handlers: dict[type[Event], list[Callable[[Any], None]]] = {}


def subscribe[E: Event](event_type: type[E], handler: Callable[[E], None]) -> None:
    """Call ``handler(event)`` for every published ``event_type`` (exactly that type).
    Subscribing the same handler twice keeps one subscription."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe(event_type: type[Event], handler: Callable[[Any], None]) -> None:
    """Undo ``subscribe`` (nothing if it was not subscribed)."""
    handlers = _handlers.get(event_type, [])
    if handler in handlers:
        handlers.remove(handler)


def subscribers(event_type: type[Event]) -> tuple[Callable[[Any], None], ...]:
    """The handlers of ``event_type``, in the order they run."""
    return tuple(_handlers.get(event_type, ()))


def publish(event: Event, *, on_commit: bool = True) -> None:
    """Hand ``event`` to its subscribers: after the current transaction commits (default), or
    at once with ``on_commit=False``."""
    for handler in subscribers(type(event)):
        if on_commit:
            transaction.on_commit(functools.partial(handler, event))
        else:
            handler(event)
